"""The ``kms_mock`` and ``kms_client`` pytest fixtures, registered through the ``pytest11`` entry point.

The plugin is loaded by every pytest run in an environment where mock_kms is installed, so it
imports mock_kms (and botocore) only when a test asks for the fixture.
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
def kms_mock() -> Iterator[KmsMock]:
    """An active mock of AWS KMS for one test; ``kms_mock.client()`` gives a boto3 client."""
    from mock_kms.mock import KmsMock

    with KmsMock() as mock:
        yield mock


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
