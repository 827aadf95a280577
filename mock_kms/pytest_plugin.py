"""The ``kms_mock`` and ``kms_client`` pytest fixtures, registered through the ``pytest11`` entry point.

The plugin is loaded by every pytest run in an environment where mock_kms is installed, so it
imports mock_kms (and botocore) only when a test asks for the fixture.

The switch for moto-based suites (``--mock-kms-for-moto``, ini ``mock_kms_for_moto``, environment
``MOCK_KMS_FOR_MOTO=1``) is at the end of this file.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from mock_kms.mock import KmsMock

# The RSA key pool's options and session hooks (a module of their own).
pytest_plugins = ["mock_kms.pytest_rsa_pool"]


@pytest.fixture
def kms_mock(request: pytest.FixtureRequest) -> Iterator[KmsMock]:
    """An active mock of AWS KMS for one test; ``kms_mock.client()`` gives a boto3 client.

    With ``--mock-kms-for-moto``, the mock that moto's ``mock_aws`` runs with (the same one)."""
    if request.config.stash.get(_FOR_MOTO, None) is not None:
        from mock_kms.moto_compat import hold_switch_mock

        with hold_switch_mock() as mock:
            yield mock
        return
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


# -- the switch for moto-based suites, and the end-of-run list of KMS failures --------------
MIGRATION_GUIDE = "docs/migrating-from-moto.md"
_FOR_MOTO = pytest.StashKey["ForMoto"]()  # present while the switch is on


def pytest_addoption(parser: pytest.Parser) -> None:
    help_text = (
        "run a mock_kms mock whenever moto's mock_aws is active (fresh whenever moto resets) and list "
        "the tests that failed with a KMS error at the end (also: MOCK_KMS_FOR_MOTO=1)"
    )
    parser.addoption("--mock-kms-for-moto", action="store_true", default=False, help=help_text)
    parser.addini("mock_kms_for_moto", help_text, type="bool", default=False)


def switch_requested(config: pytest.Config) -> bool:
    return bool(
        config.getoption("mock_kms_for_moto", False)
        or config.getini("mock_kms_for_moto")
        or os.environ.get("MOCK_KMS_FOR_MOTO", "").strip().lower() in ("1", "true", "yes", "on")
    )


def pytest_configure(config: pytest.Config) -> None:
    if switch_requested(config):
        config.stash[_FOR_MOTO] = ForMoto(config)
        config.pluginmanager.register(config.stash[_FOR_MOTO], "mock_kms_for_moto")


class ForMoto:
    """The switch's hooks: on for the run, off at its end; KMS failures listed at the end."""

    _PROPERTY = "mock_kms_error"  # report.user_properties entry (travels from xdist workers)

    def __init__(self, config: pytest.Config) -> None:
        from mock_kms.moto_compat import enable_switch  # no moto import: patched when moto loads

        enable_switch()
        self.failures: list[tuple[str, str]] = []  # (test, KMS error)

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        from mock_kms.moto_compat import disable_switch

        disable_switch()
        del config.stash[_FOR_MOTO]

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
        report = yield
        if report.failed and call.excinfo is not None:
            from mock_kms.moto_compat import kms_error

            error = kms_error(call.excinfo.value)
            if error is not None:
                report.user_properties.append((self._PROPERTY, error))
        return report

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        from mock_kms.moto_compat import new_test

        new_test()  # each test's KMS state starts fresh, as moto's does

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        for name, error in report.user_properties:
            if name == self._PROPERTY:
                self.failures.append((report.nodeid, error))

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not self.failures:
            return
        terminalreporter.section("mock_kms: tests that failed with a KMS error")
        for nodeid, error in self.failures:
            terminalreporter.line(f"{nodeid}: {error}")
        terminalreporter.line(
            f"{len(self.failures)} test(s) failed with a KMS error. Each kind of failure, the moto habit behind it, "
            f"what AWS does and the change to make: {MIGRATION_GUIDE} in mock_kms's repository"
        )


@pytest.fixture(scope="session")
def _mock_kms_shared_clients() -> dict[tuple[str | None, ...], Any]:
    """The clients ``kms_client`` hands out, one per (region, credentials), for one session."""
    return {}


@pytest.fixture
def kms_client(kms_mock: KmsMock, _mock_kms_shared_clients: dict[tuple[str | None, ...], Any]) -> Any:
    """A boto3 KMS client for this test's fresh ``kms_mock``, created once per session and reused.

    Creating a botocore client is most of what a short test costs (BENCHMARKS.md, whole suites).
    Reuse is safe: the mock answers at botocore's ``Endpoint`` class, for any client whenever it
    was made, and a client holds no KMS state — each test still sees only its own mock's keys.
    A test that changes the client itself (registers event handlers, activates a Stubber that it
    does not deactivate) should use ``kms_mock.client()``, which is always new.
    """
    key = (kms_mock.region, os.environ.get("AWS_ACCESS_KEY_ID"), os.environ.get("AWS_SECRET_ACCESS_KEY"))
    client = _mock_kms_shared_clients.get(key)
    if client is None:
        client = _mock_kms_shared_clients[key] = kms_mock.client("kms")
    return client
