"""What use cases share: a Services built without reading the settings behaves as the defaults
of the settings say."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os

import pytest

from app.services import Services
from app.settings import Settings
from tests.support.harness import TEST_TOKEN


def test_a_services_built_without_settings_has_the_settings_defaults(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in [name for name in os.environ if name.startswith("DOORSTEP_")]:
        monkeypatch.delenv(name)  # the defaults, whatever the machine running the tests sets
    settings = Settings(_env_file=None, bot_token=TEST_TOKEN)
    defaults = {field.name: field.default for field in dataclasses.fields(Services)}

    assert defaults["admins"] == settings.admins
    assert defaults["min_group_size"] == settings.min_group_size
    assert defaults["retention_days"] == settings.retention_days
    assert defaults["rebuild_interval"] == dt.timedelta(minutes=settings.rebuild_interval_minutes)
    assert defaults["quiet_hours"] == settings.quiet_hours
