"""The gateway file: which site files, where readings go, the web app, notifications."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from gateway.config.models import HttpSettings, Model, StorageSettings
from gateway.config.notifications import NotificationSettings


class AlarmJournalSettings(Model):
    """The alarm journal (SQLite in the state folder): every alarm event, durably."""

    retention_days: float = Field(
        default=90.0,
        ge=30.0,
        description="days of alarm events kept; at least 30 (SAWS Order No. 40)",
    )


class GatewayConfig(Model):
    """The gateway process: which site files, where readings go, where the web app listens."""

    sites: list[Path] = Field(min_length=1, description="site files, relative to this file")
    storage: StorageSettings | None = None
    http: HttpSettings = HttpSettings()
    notifications: NotificationSettings | None = None
    alarm_journal: AlarmJournalSettings = AlarmJournalSettings()
