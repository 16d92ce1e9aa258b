"""Reminders: the daily digest, meeting reminders, and who wants which."""
