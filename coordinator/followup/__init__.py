"""Follow-up: the 14-day team-meeting agenda, the success criteria, the contact person's page."""
