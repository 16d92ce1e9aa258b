"""Piccolo app for meetings, familierådslagning and BIC."""

import os

from piccolo.conf.apps import AppConfig

from coordinator.meetings.tables import (
    BicSession,
    BusyFeed,
    FatherAssessment,
    FgcCase,
    FgcPlanItem,
    FgcTask,
    Meeting,
    MeetingChange,
    MeetingPart,
    Participant,
    ParticipantPart,
    Room,
    SafetyApproval,
    WorkingHours,
)

APP_CONFIG = AppConfig(
    app_name="meetings",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[FgcCase, FgcTask, FgcPlanItem, FatherAssessment, Room, Meeting, MeetingPart,
                   Participant, ParticipantPart, SafetyApproval, MeetingChange, BicSession,
                   WorkingHours, BusyFeed],
    migration_dependencies=["coordinator.network.piccolo_app", "coordinator.auth.piccolo_app"],
    commands=[],
)
