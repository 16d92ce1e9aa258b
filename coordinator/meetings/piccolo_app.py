"""Piccolo app for meetings, familierådslagning and BIC."""

import os

from piccolo.conf.apps import AppConfig

from coordinator.meetings.tables import (
    AgendaPoint,
    BicSession,
    BusyFeed,
    FatherAssessment,
    FgcCase,
    FgcPlanApproval,
    FgcPlanChange,
    FgcPlanItem,
    FgcPlanReview,
    FgcQuestion,
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
    table_classes=[FgcCase, FgcTask, FgcQuestion, FgcPlanItem, FgcPlanApproval, FgcPlanChange,
                   FatherAssessment, Room, Meeting, MeetingPart, Participant, ParticipantPart,
                   SafetyApproval, MeetingChange, BicSession, WorkingHours, BusyFeed,
                   FgcPlanReview, AgendaPoint],
    migration_dependencies=["coordinator.network.piccolo_app", "coordinator.auth.piccolo_app"],
    commands=[],
)
