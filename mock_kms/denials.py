"""Observers of denied requests, across every mock in the process.

The journal tells them about each call answered with AccessDeniedException (after the call
record is complete); the pytest plugin listens while a test runs, to explain the denials in
a failing test's report. Kept free of imports so the plugin can use it at no cost.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# Callables taking the CallRecord of a denied call. Called in the requesting thread.
WATCHERS: list[Callable[[Any], None]] = []


def notify(record: Any) -> None:
    for watcher in list(WATCHERS):
        watcher(record)
