"""Participants already invited through the socialrådgiver keep that channel; answers by
link that proposed another time (stored as the calendar's TENTATIVE, "Måske", with the
proposed time in the comment) become what they are: PROPOSED."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-03T21:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "participant channel from invite_via_worker"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="meetings", description=DESCRIPTION)

    async def backfill():
        from coordinator.meetings.tables import Participant

        await Participant.raw(
            'UPDATE "participant" SET "channel" = \'worker\' WHERE "invite_via_worker" = {}',
            True)
        await Participant.raw(
            'UPDATE "participant" SET "rsvp" = \'PROPOSED\' '
            'WHERE "rsvp" = \'TENTATIVE\' AND "rsvp_comment" LIKE {}', "Foreslår %")

    manager.add_raw(backfill)
    return manager
