"""Piccolo app for calendar invites: outbox, answer links, feeds and series."""

import os

from piccolo.conf.apps import AppConfig

from coordinator.invites.tables import (
    AnswerToken,
    DelegateAddress,
    FeedCopy,
    FeedToken,
    MeetingSeries,
    OutboxMessage,
    ReplyRecord,
)

APP_CONFIG = AppConfig(
    app_name="invites",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[OutboxMessage, AnswerToken, MeetingSeries, FeedToken, ReplyRecord,
                   DelegateAddress, FeedCopy],
    migration_dependencies=["coordinator.meetings.piccolo_app", "coordinator.auth.piccolo_app"],
    commands=[],
)
