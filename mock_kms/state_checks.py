"""Checks of a decoded state file against its documented format (see ``state.py``).

A state file is JSON that anyone can edit (or a disk can damage); ``state.py`` decodes it into
the mock's own objects. Before anything of it is swapped into a live mock, every object is
checked here: each dataclass field against its type annotation (``str``, ``int``, ``datetime``,
``dict[str, str]``, ``X | None``, …) and the values a KMS key can hold against their ranges
(key states, usages, origins, pending windows, ARNs). A file that fails is refused with a
:class:`~mock_kms.state.StateError` naming the entry, rather than loading and answering
KMSInternalException on a later request.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import re
import sys
import types
import typing
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from mock_kms.core.keys import Key, KeyMaterial, KeyMaterialSet, KeyState, partition_for

KEY_STATES = frozenset(value for name, value in vars(KeyState).items() if name.isupper() and isinstance(value, str))
ORIGINS = frozenset({"AWS_KMS", "EXTERNAL", "AWS_CLOUDHSM", "EXTERNAL_KEY_STORE"})
KEY_MANAGERS = frozenset({"AWS", "CUSTOMER"})
ROTATION_TYPES = frozenset({"AUTOMATIC", "ON_DEMAND"})
# The clock offset a file may carry: a century either way (a datetime ends at year 9999).
MAX_CLOCK_OFFSET_SECONDS = 100 * 365.25 * 86400
_ACCOUNT = re.compile(r"\d{12}")


def clock_offset_problem(offset: Any) -> str | None:
    if isinstance(offset, bool) or not isinstance(offset, (int, float)):
        return "not a number"
    if not math.isfinite(offset) or abs(offset) > MAX_CLOCK_OFFSET_SECONDS:
        return f"{offset!r} is not a finite number of seconds within a century"
    return None


# -- dataclass fields against their annotations -------------------------------------------------
@functools.cache
def _hints(cls: type) -> tuple[tuple[str, Any], ...]:
    """(attribute, resolved annotation) of a dataclass's fields, or of a plain class's
    class-level annotations; annotations that cannot be resolved (names imported only for
    type checkers) are left out."""
    if dataclasses.is_dataclass(cls):
        declared = [(f.name, f.type) for f in dataclasses.fields(cls)]
    else:
        declared = [
            (name, hint)
            for klass in reversed(cls.__mro__)
            for name, hint in vars(klass).get("__annotations__", {}).items()
        ]
    out = []
    for name, hint in declared:
        if isinstance(hint, str):
            try:
                hint = eval(hint, vars(sys.modules[cls.__module__]), dict(vars(cls)))  # noqa: S307 (our own annotations)
            except Exception:
                continue
        out.append((name, hint))
    return tuple(out)


def _describe(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _fits(value: Any, hint: Any) -> bool:
    """Whether ``value`` is of the annotated type (containers checked element by element)."""
    if hint is Any or isinstance(hint, (typing.TypeVar, typing.ForwardRef, str)):
        return True
    if hint is None or hint is type(None):
        return value is None
    origin = typing.get_origin(hint)
    if origin is typing.Union or origin is types.UnionType:
        return any(_fits(value, arg) for arg in typing.get_args(hint))
    if origin is typing.Literal:
        return value in typing.get_args(hint)
    if origin is not None:
        args = typing.get_args(hint)
        if origin in (list, set, frozenset):
            if not isinstance(value, origin):
                return False
            return not args or all(_fits(item, args[0]) for item in value)
        if origin is tuple:
            if not isinstance(value, tuple):
                return False
            if len(args) == 2 and args[1] is Ellipsis:
                return all(_fits(item, args[0]) for item in value)
            return not args or (len(args) == len(value) and all(map(_fits, value, args)))
        if origin is dict:
            return isinstance(value, dict) and (
                not args or all(_fits(k, args[0]) and _fits(v, args[1]) for k, v in value.items())
            )
        if isinstance(origin, type) and origin.__module__ == "collections.abc":
            return origin is not Callable or callable(value)
        return True
    if hint is bool:
        return type(value) is bool
    if hint is int:
        return type(value) is int
    if hint is float:
        return type(value) in (int, float) and math.isfinite(value)
    if hint is datetime:
        return isinstance(value, datetime) and value.tzinfo is not None
    if hint is timedelta:
        return isinstance(value, timedelta)
    if isinstance(hint, type):
        return isinstance(value, hint)
    return True


def field_problem(obj: Any) -> str | None:
    """What is wrong with the fields of ``obj`` (a dataclass, or a class with class-level
    annotations of the attributes it saves); None: nothing."""
    if isinstance(obj, type):
        return None
    for name, hint in _hints(type(obj)):
        value = getattr(obj, name, dataclasses.MISSING)
        if value is dataclasses.MISSING:
            return f"missing {type(obj).__name__} field {name.lstrip('_')!r}"
        if not _fits(value, hint):
            plain = typing.get_origin(hint) is None and isinstance(hint, type)
            shown = hint.__name__ if plain else str(hint).replace("typing.", "").replace("mock_kms.", "")
            return f"{name.lstrip('_')} must be {shown}, not {_describe(value)}"
    return None


# -- values of keys and key material --------------------------------------------------------------
def key_problem(key: Key) -> str | None:
    """Ranges and references of a key whose fields have the right types."""
    if not key.key_id or not _ACCOUNT.fullmatch(key.account) or not key.region:
        return "needs a key_id, a 12-digit account and a region"
    expected = f"arn:{partition_for(key.region)}:kms:{key.region}:{key.account}:key/{key.key_id}"
    if key.arn != expected:
        return f"arn {key.arn!r} is not the key's ARN ({expected})"
    for name, value, allowed in (
        ("state", key.state, KEY_STATES),
        ("key_usage", key.key_usage, frozenset(key.spec.usages)),  # the usages of the key's spec
        ("origin", key.origin, ORIGINS),
        ("key_manager", key.key_manager, KEY_MANAGERS),
    ):
        if value not in allowed:
            return f"{name} {value!r} is not one of {', '.join(sorted(allowed))}"
    if key.pending_window_days is not None and not 7 <= key.pending_window_days <= 30:
        return f"pending_window_days {key.pending_window_days} is not between 7 and 30"
    return None


class _LastUsage(typing.TypedDict):
    Operation: str
    Timestamp: datetime
    CloudTrailEventId: str
    KmsRequestId: str


# Key.extras entries that features read back: their types (other entries are the feature's own).
KEY_EXTRAS: dict[str, Any] = {
    "last_usage": _LastUsage,  # journal.LAST_USAGE
    "usage_tracking_start": datetime,  # journal.USAGE_TRACKING_START
    "on_demand_rotation_start": datetime,  # api/rotation.py
    "multi_region_settles_to": str,  # api/multi_region.SETTLES_TO
}


def extras_problem(key: Key) -> str | None:
    for name, hint in KEY_EXTRAS.items():
        if name not in key.extras:
            continue
        value = key.extras[name]
        if typing.is_typeddict(hint):
            fields = typing.get_type_hints(hint)
            if not isinstance(value, dict) or set(value) != set(fields) or not all(
                _fits(value[field], fields[field]) for field in fields
            ):
                return f"extras.{name} must be an object with {', '.join(fields)}"
        elif not _fits(value, hint):
            return f"extras.{name} must be {hint.__name__}, not {_describe(value)}"
    if key.extras.get("multi_region_settles_to", "Enabled") not in KEY_STATES:
        return "extras.multi_region_settles_to is not a key state"
    return None


def grants_problem(key: Key) -> str | None:
    from mock_kms.core.grants import Grant, operations_for_key

    for grant_id, grant in key.grants.items():
        if not isinstance(grant, Grant):
            return f"grants[{grant_id}] is not a grant ({_describe(grant)})"
        if grant.grant_id != grant_id or grant.key_id != key.key_id or grant.key_arn != key.arn:
            return f"grants[{grant_id}] belongs to another key or id ({grant.key_arn}, {grant.grant_id})"
        if not isinstance(grant.issuing_account, str) or not _ACCOUNT_ROOT.match(grant.issuing_account):
            return f"grants[{grant_id}].issuing_account is not an account root ARN: {grant.issuing_account!r}"
        unknown = set(grant.operations) - operations_for_key(key)
        if unknown:
            return f"grants[{grant_id}] allows operations a grant on this key cannot: {sorted(unknown)}"
    return None


_ACCOUNT_ROOT = re.compile(r"^arn:[a-z-]+:iam::\d{12}:root$")


def material_problem(version: KeyMaterial) -> str | None:
    from mock_kms.core.specs import KEY_SPECS

    if version.spec not in KEY_SPECS:
        return f"unknown key spec {version.spec!r}"
    if version.rotation_type is not None and version.rotation_type not in ROTATION_TYPES:
        return f"rotation_type {version.rotation_type!r} is not one of AUTOMATIC, ON_DEMAND"
    return None


def material_set_problem(material: KeyMaterialSet) -> str | None:
    if material.on_demand_rotations < 0:
        return "on_demand_rotations must not be negative"
    period = material.rotation_period_days
    if period is not None and not 90 <= period <= 2560:
        return f"rotation_period_days {period} is not between 90 and 2560"
    return None
