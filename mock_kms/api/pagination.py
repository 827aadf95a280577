"""Limit / Marker / NextMarker / Truncated, the same for every list operation.

Markers are opaque to callers (AWS says not to construct them); ours carry the offset of
the next item plus a check of the operation that issued it.
"""

from __future__ import annotations

import base64
from typing import Any, Sequence

from mock_kms.core.errors import InvalidMarkerException


def _encode(scope: str, offset: int) -> str:
    return base64.urlsafe_b64encode(f"{scope}:{offset}".encode()).decode()


def _decode(scope: str, marker: str) -> int:
    try:
        text = base64.urlsafe_b64decode(marker.encode()).decode()
        marker_scope, offset = text.rsplit(":", 1)
        value = int(offset)
        if marker_scope != scope or value < 0:
            raise ValueError
        return value
    except (ValueError, UnicodeError):
        # AWS's text for a bad marker is unrecorded; this says what is wrong.
        raise InvalidMarkerException("Invalid marker.") from None


def paginate(
    items: Sequence[Any],
    params: dict[str, Any],
    *,
    scope: str,
    default_limit: int,
    max_limit: int,
    field: str,
) -> dict[str, Any]:
    """One page of ``items`` as ``{field: [...], "Truncated": bool, "NextMarker"?: str}``."""
    limit = min(params.get("Limit") or default_limit, max_limit)
    marker = params.get("Marker")
    start = _decode(scope, marker) if marker else 0
    page = items[start : start + limit]
    result: dict[str, Any] = {field: list(page), "Truncated": start + limit < len(items)}
    if result["Truncated"]:
        result["NextMarker"] = _encode(scope, start + limit)
    return result
