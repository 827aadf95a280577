"""Limit / Marker / NextMarker / Truncated, the same for every list operation.

Markers are opaque to callers (AWS says not to construct them); ours carry the offset of
the next item plus a check of the operation that issued it.
"""

from __future__ import annotations

import base64
import weakref
from collections.abc import Callable, Mapping, Sequence
from typing import Any

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


# -- linear pagination over a live mapping (ListKeys over 100,000 keys) ---------------------
# ``paginate`` slices a list its caller builds for every page: O(n) per page, so listing n
# items in pages of ``limit`` costs O(n²/limit). ``paginate_mapping`` instead keeps, per
# owner, a snapshot of the mapping's keys (in the mapping's order), rebuilt only when the
# mapping has changed, and builds entries for the page alone: O(limit) per page, O(n) for a
# full listing. Its markers carry the offset *and* the name of the next entry, so a listing
# resumes at that entry even if entries were added or removed between pages (when the named
# entry itself is gone, it resumes at the same offset, as ``paginate`` does).

_snapshots: weakref.WeakKeyDictionary[Any, tuple[Mapping[str, Any], int, Any, Any, list[str]]] = (
    weakref.WeakKeyDictionary()
)


def _snapshot(owner: Any, mapping: Mapping[str, Any]) -> list[str]:
    """The keys of ``mapping`` in order, reused while the mapping is unchanged.

    "Unchanged" = same object, same size, same first and last key: entries are only ever
    appended at the end of a dict, so any addition changes the size or the last key, and any
    removal the size (unless offset by an addition, which changes the last key).
    """
    size = len(mapping)
    first = next(iter(mapping)) if size else None
    last = next(reversed(mapping)) if size else None  # type: ignore[call-overload]
    cached = _snapshots.get(owner)
    if cached is not None and cached[0] is mapping and cached[1] == size and cached[2] == first and cached[3] == last:
        return cached[4]
    names = list(mapping)
    _snapshots[owner] = (mapping, size, first, last, names)
    return names


def _encode_resume(scope: str, offset: int, name: str) -> str:
    # surrogatepass: a name kept from a request may hold a lone surrogate.
    return base64.urlsafe_b64encode(f"{scope}:{offset}:{name}".encode("utf-8", "surrogatepass")).decode()


def _decode_resume(scope: str, marker: str) -> tuple[int, str | None]:
    """(offset, name of the entry to resume at or None) from a ``paginate_mapping`` marker
    (a plain ``paginate`` marker of the same scope is accepted too)."""
    try:
        text = base64.urlsafe_b64decode(marker.encode()).decode("utf-8", "surrogatepass")
        marker_scope, _, rest = text.partition(":")
        offset, _, name = rest.partition(":")
        value = int(offset)
        if marker_scope != scope or value < 0:
            raise ValueError
        return value, name or None
    except (ValueError, UnicodeError):
        # AWS's text for a bad marker is unrecorded; this says what is wrong.
        raise InvalidMarkerException("Invalid marker.") from None


def paginate_mapping(
    owner: Any,
    mapping: Mapping[str, Any],
    params: dict[str, Any],
    entry: Callable[[Any], Any],
    *,
    scope: str,
    default_limit: int,
    max_limit: int,
    field: str,
) -> dict[str, Any]:
    """One page of ``entry(value)`` for the values of ``mapping``, in the mapping's order, as
    ``{field: [...], "Truncated": bool, "NextMarker"?: str}``. ``owner`` (weakly referenced)
    holds the snapshot between pages: the object the mapping belongs to."""
    limit = min(params.get("Limit") or default_limit, max_limit)
    marker = params.get("Marker")
    names = _snapshot(owner, mapping)
    start = 0
    if marker:
        start, resume = _decode_resume(scope, marker)
        moved = resume is not None and (start >= len(names) or names[start] != resume)
        if moved and resume in mapping:
            # Entries were added or removed since the marker was issued: find the named one.
            start = names.index(resume)
    end = start + limit
    page = []
    for name in names[start:end]:
        value = mapping.get(name)
        if value is not None:
            page.append(entry(value))
    result: dict[str, Any] = {field: page, "Truncated": end < len(names)}
    if result["Truncated"]:
        result["NextMarker"] = _encode_resume(scope, end, names[end])
    return result
