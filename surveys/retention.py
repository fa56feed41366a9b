"""When the link between members and their answers must go (DOORSTEP_RETENTION_DAYS): pure rules.

A survey's responses are unlinked from their members once the survey has been closed for
longer than the retention period. A survey closes on its `closes` date; one no longer among the
survey files closed, at the latest, with its last answer. A survey without a closing date is
never closed: its members' links go only when they have been inactive as long (see
`Store.privacy.delete_inactive_members`).
"""

from __future__ import annotations

import datetime as dt

from surveys.model import Survey


def closed_on(current: Survey | None, last_activity: dt.date) -> dt.date | None:
    """The day a survey closed: its `closes` date, or, when it is no longer loaded (`current`
    None), its last activity; None while it is open-ended."""
    if current is None:
        return last_activity
    return current.closes


def unlink_due(closed: dt.date | None, today: dt.date, retention_days: int) -> bool:
    """Whether a survey closed on `closed` has been closed for longer than the retention."""
    return closed is not None and (today - closed).days > retention_days
