"""Accounts, roles, login, sessions, CSRF and the access policy."""
