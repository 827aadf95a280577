"""Routing botocore's (and ``requests``') KMS traffic to the active mock.

botocore: ``Endpoint._send`` is patched once, at class level, so clients created before
the mock started are covered too. A request is KMS when its ``X-Amz-Target`` header
starts with ``TrentService.`` — whatever its URL (any region, FIPS, dual-stack, custom
``endpoint_url`` or ``AWS_ENDPOINT_URL_KMS``). Everything else goes to the network as usual.
"""

from __future__ import annotations

import io
import re
import threading
from typing import TYPE_CHECKING, Any, Iterator

from botocore.awsrequest import AWSResponse
from botocore.endpoint import Endpoint

from mock_kms.wire.protocol import TARGET_PREFIX, handle

if TYPE_CHECKING:
    from mock_kms.mock import KmsMock

_lock = threading.RLock()
_active: list["KmsMock"] = []
_original_send = None


class _RawBody(io.BytesIO):
    """What botocore reads an AWSResponse body from."""

    def stream(self, **_: Any) -> Iterator[bytes]:
        data = self.read()
        if data:
            yield data


def is_kms_target(target: Any) -> bool:
    if isinstance(target, bytes):
        return target.startswith(b"TrentService.")
    return isinstance(target, str) and target.startswith(TARGET_PREFIX)


def active_mock() -> "KmsMock | None":
    return _active[-1] if _active else None


def _send(self: Endpoint, request: Any) -> AWSResponse:
    mock = _active[-1] if _active else None
    if mock is not None and is_kms_target(request.headers.get("X-Amz-Target")):
        return answer(mock, request.url, request.headers, request.body)
    return _original_send(self, request)


def answer(mock: "KmsMock", url: str, headers: Any, body: Any) -> AWSResponse:
    if hasattr(body, "read"):  # a file-like body (rare for JSON protocols)
        body = body.read()
    response = handle(mock, headers, body)
    return AWSResponse(url, response.status, response.headers, _RawBody(response.body))


def activate(mock: "KmsMock") -> None:
    global _original_send
    with _lock:
        if _original_send is None:
            _original_send = Endpoint._send
            Endpoint._send = _send
        _active.append(mock)


def deactivate(mock: "KmsMock") -> None:
    global _original_send
    with _lock:
        if mock in _active:
            _active.remove(mock)
        if not _active and _original_send is not None:
            Endpoint._send = _original_send
            _original_send = None


# -- requests (hand-signed calls to the KMS endpoint), through `responses` -------------------
_ANY_URL = re.compile(r".*")


def _requests_matcher(request: Any) -> tuple[bool, str]:
    if is_kms_target(request.headers.get("X-Amz-Target")):
        return True, ""
    return False, "not a KMS request"


def start_requests_mock(mock: "KmsMock") -> Any:
    """Answer KMS requests made with ``requests``; pass every other request through."""
    import requests.adapters
    import responses

    # Passing through to whatever `send` is installed now keeps an outer `responses` mock working.
    requests_mock = responses.RequestsMock(
        assert_all_requests_are_fired=False, real_adapter_send=requests.adapters.HTTPAdapter.send
    )

    def callback(request: Any) -> tuple[int, dict[str, str], bytes]:
        response = handle(mock, request.headers, request.body)
        return response.status, response.headers, response.body

    requests_mock.add_callback("POST", _ANY_URL, callback=callback, match=[_requests_matcher])
    requests_mock.add_passthru(_ANY_URL)
    requests_mock.start()
    return requests_mock
