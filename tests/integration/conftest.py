"""Real clients, unchanged, against the mock (issue 10).

Each module imports its client library with ``pytest.importorskip`` so the default
``pip install -e ".[test]" && pytest`` run skips what is not installed; the ``integration``
extra (and tox env) installs everything.
"""

from __future__ import annotations

import os

import pytest

from mock_kms import KmsMock


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = os.path.dirname(__file__)
    for item in items:
        if str(item.fspath).startswith(here):
            item.add_marker(pytest.mark.integration)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "integration: a real client library run against the mock (tests/integration)")


@pytest.fixture
def hermetic_aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path):
    """No user config or credentials files, no profile: only what the mock supplies."""
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_KMS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return tmp_path


@pytest.fixture
def mock(hermetic_aws_env):
    """A fresh, active mock for one test (started after the environment is made hermetic)."""
    with KmsMock(region="us-east-1") as active:
        yield active


@pytest.fixture
def kms(mock):
    return mock.client("kms", "us-east-1")
