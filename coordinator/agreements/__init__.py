"""Cooperation agreements (samarbejdsaftaler) with partner organisations and their cadence."""
