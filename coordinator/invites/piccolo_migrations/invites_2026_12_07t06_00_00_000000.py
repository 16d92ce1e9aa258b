"""Calendars served before a family became shielded are forgotten in the transaction of the
change (``invites/withdrawal.py``): the triggers on the family, its people and relations and
the organisations they use."""

from coordinator.db import triggers
from coordinator.invites import withdrawal

ID = "2026-12-07T06:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "feed calendars withdrawn when a family becomes shielded"


async def forwards():
    return triggers.migration("invites", ID, DESCRIPTION, withdrawal.NAME, list(withdrawal.TABLES))
