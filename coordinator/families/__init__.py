"""Families (the cases) and the team of users working with each."""
