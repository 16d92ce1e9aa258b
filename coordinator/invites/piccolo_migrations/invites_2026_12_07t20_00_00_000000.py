"""A person whose contact data becomes withheld (a protected address, or contact only
through the worker), or whose withheld contact data changes, forgets the served calendars in
the transaction of the change, whether or not the family has a school or day care
(``invites/withdrawal.py``): the person table's triggers installed again."""

from coordinator.db import triggers
from coordinator.invites import withdrawal

ID = "2026-12-07T20:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "feed calendars withdrawn when a person's contact data becomes withheld"


async def forwards():
    return triggers.migration("invites", ID, DESCRIPTION, withdrawal.NAME, ["person"])
