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

# The RSA key pool's options and session hooks (a module of their own).
pytest_plugins = ["mock_kms.pytest_rsa_pool"]


@pytest.fixture
def kms_mock() -> Iterator[KmsMock]:
    """An active mock of AWS KMS for one test; ``kms_mock.client()`` gives a boto3 client."""
    from mock_kms.mock import KmsMock

    with KmsMock() as mock:
        yield mock
