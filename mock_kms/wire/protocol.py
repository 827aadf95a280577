"""The AWS JSON 1.1 protocol of KMS: one function from an HTTP request to an HTTP response.

Both the in-process interceptor (``mock.py``) and the HTTP server feed ``handle``.
"""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Mapping

from mock_kms.api import HANDLERS
from mock_kms.api.context import RequestContext
from mock_kms.core.errors import (
    KMSError,
    KMSInternalException,
    NotImplementedByMockException,
    SerializationException,
    UnknownOperationException,
)
from mock_kms.wire.model import operation_names
from mock_kms.wire.validate import decode_request, validate

if TYPE_CHECKING:
    from mock_kms.mock import KmsMock

TARGET_PREFIX = "TrentService."
CONTENT_TYPE = "application/x-amz-json-1.1"


@dataclass(frozen=True)
class WireResponse:
    status: int
    headers: dict[str, str]
    body: bytes


def _default(value: Any) -> Any:
    # Only called by json for types it does not know: blobs and timestamps.
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, datetime):
        return value.timestamp()
    raise TypeError(f"cannot encode {type(value).__name__}")


def _header(headers: Mapping[str, Any], name: str) -> str | None:
    value = headers.get(name)
    if value is None:
        value = headers.get(name.lower())
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return value


def parse_credential(authorization: str | None) -> tuple[str, str | None]:
    """(access key id, region) from a SigV4 ``Authorization`` header; ('', None) if absent."""
    if not authorization:
        return "", None
    start = authorization.find("Credential=")
    if start < 0:
        return "", None
    end = authorization.find(",", start)
    scope = authorization[start + 11 : end if end >= 0 else None].strip().split("/")
    return scope[0], scope[2] if len(scope) > 2 else None


def _error(error: KMSError, request_id: str) -> WireResponse:
    body = json.dumps({"__type": error.code, "message": error.message}).encode()
    return WireResponse(error.status, {"Content-Type": CONTENT_TYPE, "x-amzn-RequestId": request_id}, body)


def handle(mock: "KmsMock", headers: Mapping[str, Any], body: bytes | str | None) -> WireResponse:
    """Answer one KMS request. Never raises: every failure becomes an AWS error response."""
    request_id = str(uuid.uuid4())
    operation = ""
    record = None
    try:
        target = _header(headers, "X-Amz-Target") or ""
        operation = target[len(TARGET_PREFIX) :] if target.startswith(TARGET_PREFIX) else ""
        if operation not in operation_names():
            raise UnknownOperationException("")
        access_key, region = parse_credential(_header(headers, "Authorization"))
        caller = mock.identify(access_key)
        record = mock.journal.begin(operation, region or mock.region, caller, request_id)
        try:
            params = json.loads(body or b"{}")
        except (ValueError, UnicodeDecodeError):
            raise SerializationException("Start of structure or map found where not expected.") from None
        if not isinstance(params, dict):
            raise SerializationException("Start of structure or map found where not expected.")
        decode_request(operation, params)
        record.params = params
        validate(operation, params)
        handler = HANDLERS.get(operation)
        if handler is None:
            raise NotImplementedByMockException(f"mock_kms does not support the {operation} operation yet.")
        backend = mock.backend
        with backend.lock:
            backend.run_due_events()
            mock.before_request(operation, record)
            ctx = RequestContext(
                backend=backend,
                here=backend.region(caller.account, region or mock.region),
                operation=operation,
                params=params,
                caller=caller,
                mock=mock,
            )
            try:
                result = handler(ctx)
            finally:
                record.key = ctx.key
        response = WireResponse(
            200,
            {"Content-Type": CONTENT_TYPE, "x-amzn-RequestId": request_id},
            json.dumps(result, default=_default).encode(),
        )
        mock.journal.finish(record, None)
        return response
    except KMSError as error:
        if record is not None:
            mock.journal.finish(record, error)
        return _error(error, request_id)
    except Exception as error:  # a bug in the mock: still an AWS-shaped answer, never a raw exception
        internal = KMSInternalException(f"mock_kms internal error in {operation or 'request'}: {error!r}")
        if record is not None:
            mock.journal.finish(record, internal)
        return _error(internal, request_id)
