"""The method around the meetings: Signs of Safety mappings and the handleplan with goals."""
