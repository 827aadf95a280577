"""The one clock of a mock: real UTC time plus an offset that tests can move.

Reading ``datetime.now(timezone.utc)`` on every call (rather than caching a start time)
is what lets freezegun and time-machine drive the mock unchanged.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone


class Clock:
    def __init__(self) -> None:
        self._offset = timedelta(0)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        return datetime.now(timezone.utc) + self._offset

    @property
    def offset(self) -> timedelta:
        return self._offset

    def advance(self, *, days: float = 0, hours: float = 0, minutes: float = 0, seconds: float = 0) -> datetime:
        """Move the clock forward (or back, with negative values); returns the new now."""
        with self._lock:
            self._offset += timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
        return self.now()

    def set(self, moment: datetime) -> None:
        """Make ``now()`` read ``moment`` (naive datetimes are taken as UTC)."""
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        with self._lock:
            self._offset = moment - datetime.now(timezone.utc)

    def reset(self) -> None:
        with self._lock:
            self._offset = timedelta(0)
