"""Every family gets a stamp and a network stamp (``revisions.stamp_every_family``).

A family not written since the stamps came has no stamp, so none of its pages is kept
(``ContentStamps.keyable``), and one not written to its network since the network stamp came
has its network views keyed by the family's stamp, which every write replaces. Stamps a
family has are kept.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

from coordinator.families import revisions

ID = "2026-12-06T04:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "every family stamped"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="families", description=DESCRIPTION)

    async def stamp_every_family():
        from coordinator.families.tables import ContentRevision

        engine = "postgresql" if engine_finder().engine_type == "postgres" else "sqlite"
        await ContentRevision.raw(revisions.stamp_every_family(engine))

    manager.add_raw(stamp_every_family)
    return manager
