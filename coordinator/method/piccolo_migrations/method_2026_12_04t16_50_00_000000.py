"""An index for the meeting page's goals discussed at the meeting: its Signs of Safety
section reads ``goal_evaluation`` by meeting on every cold view, which without an index
read every evaluation of every family."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from coordinator.method.tables import GoalEvaluation

ID = "2026-12-04T16:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "goal evaluations by meeting"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="method", description=DESCRIPTION)

    async def install():
        await GoalEvaluation.raw('CREATE INDEX IF NOT EXISTS "goal_evaluation_meeting" '
                                 'ON "goal_evaluation" ("meeting")')

    async def uninstall():
        await GoalEvaluation.raw('DROP INDEX IF EXISTS "goal_evaluation_meeting"')

    manager.add_raw(install)
    manager.add_raw_backwards(uninstall)
    return manager
