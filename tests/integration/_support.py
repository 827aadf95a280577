"""Helpers shared by the integration tests."""

from __future__ import annotations

import io

import pytest

from mock_kms.api import HANDLERS

ACCOUNT = "123456789012"


def require_operation(name: str) -> None:
    """Skip while another issue's operation has not landed (the test runs as soon as it does)."""
    if name not in HANDLERS:
        pytest.skip(f"pending: the mock does not implement {name} yet")


def calls(mock, operation: str) -> list:
    """The journal records of one operation, in order."""
    return [record for record in mock.calls if record.operation == operation]


class _Body(io.BytesIO):
    def stream(self, **_):
        data = self.read()
        if data:
            yield data


def serve_locally(client, answer) -> None:
    """Answer one (non-KMS) botocore client's requests in-process, for S3/DynamoDB stand-ins.

    ``answer(request) -> (status, headers, body)``; registered on ``before-send`` for that
    client only, so KMS calls still go through the mock's own interception.
    """
    from botocore.awsrequest import AWSResponse

    def before_send(request, **_):
        status, headers, body = answer(request)
        headers = {"Content-Length": str(len(body)), **headers}
        return AWSResponse(request.url, status, headers, _Body(body))

    client.meta.events.register("before-send", before_send)
