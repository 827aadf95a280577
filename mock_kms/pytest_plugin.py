"""The ``kms_mock`` pytest fixture, registered through the ``pytest11`` entry point."""

from __future__ import annotations

from typing import Iterator

import pytest

from mock_kms.mock import KmsMock


@pytest.fixture
def kms_mock() -> Iterator[KmsMock]:
    """An active mock of AWS KMS for one test; ``kms_mock.client()`` gives a boto3 client."""
    with KmsMock() as mock:
        yield mock
