"""The ``kms_mock`` pytest fixture, registered through the ``pytest11`` entry point.

The plugin is loaded by every pytest run in an environment where mock_kms is installed, so it
imports mock_kms (and botocore) only when a test asks for the fixture.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from mock_kms.mock import KmsMock


@pytest.fixture
def kms_mock() -> Iterator[KmsMock]:
    """An active mock of AWS KMS for one test; ``kms_mock.client()`` gives a boto3 client."""
    from mock_kms.mock import KmsMock

    with KmsMock() as mock:
        yield mock


# -- denied requests in a failing test's report -------------------------------------------
# While a test runs, the plugin collects the calls answered with AccessDeniedException (by
# any mock); if the test fails, its report gets a section explaining each one, next to the
# captured output. Passing tests' reports are left as they are.

_DENIED = pytest.StashKey[list]()
_DENIED_REPORTED = pytest.StashKey[bool]()
_DENIED_SHOWN = 20  # calls listed in the section (the rest are counted)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    from mock_kms import denials  # an import-free module: no cost for tests without the mock

    seen: list = []
    watcher = seen.append
    item.stash[_DENIED] = seen
    denials.WATCHERS.append(watcher)
    try:
        return (yield)
    finally:
        denials.WATCHERS.remove(watcher)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[pytest.TestReport]:
    report = yield
    seen = item.stash.get(_DENIED, None)
    if report.failed and seen and not item.stash.get(_DENIED_REPORTED, False):
        item.stash[_DENIED_REPORTED] = True
        report.sections.append(("KMS requests denied", denied_calls_report(seen)))
    return report


def denied_calls_report(records: list) -> str:
    """One entry per denied call: what was asked, then why it was denied."""
    lines = []
    for number, record in enumerate(records[:_DENIED_SHOWN], 1):
        lines.append(f"{number}. {record.operation} by {record.caller_arn} on {record.key_arn or '-'}")
        if record.decision is not None:
            lines.append(f"   {record.decision}")
        else:  # denied by an injected fault, or by a check outside the authorizer
            lines.append(f"   {record.error_message}{' (injected)' if record.injected else ''}")
    if len(records) > _DENIED_SHOWN:
        lines.append(f"... and {len(records) - _DENIED_SHOWN} more")
    return "\n".join(lines)
