"""Server-side request validation against botocore's own KMS service model.

Real KMS validates every request body against its model and answers violations with
``ValidationException`` and a fixed message format::

    1 validation error detected: Value '0' at 'numberOfBytes' failed to satisfy
    constraint: Member must have value greater than or equal to 1

botocore's client only checks ``required`` and ``min`` (and none of it when the client
is built with ``Config(parameter_validation=False)``), so max/enum/pattern violations
reach the server and must be answered here, in AWS's wording.

Two public entry points, both called by the wire layer for every request:

* :func:`decode_request` turns wire JSON types into Python types (base64 blobs -> bytes,
  epoch-second timestamps -> aware UTC datetimes, integral floats -> int), in place.
* :func:`validate` checks the model's type/required/min/max/enum/pattern traits and
  raises :class:`ValidationException` (all constraint failures at once, like AWS) or
  :class:`SerializationException` (wrong JSON type, raised at the first one found).

Both compile a small plan per operation the first time it is seen (closures over the
precomputed constraints), so the per-call path never touches botocore shape objects.

Semantic rules ("PendingWindowInDays must be between 7 and 30", "NumberOfBytes is
required.") are not checked here: they belong to the operation handlers.
"""

from __future__ import annotations

import base64
import binascii
import functools
import re
import sys
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from botocore.model import OperationNotFoundError, Shape

from mock_kms.core.errors import (
    SerializationException,
    UnknownOperationException,
    ValidationException,
)
from mock_kms.wire.model import operation_names, service_model

__all__ = ["OPERATION_NAMES", "compiled", "decode_request", "validate"]

# A member check: (value, path_prefix, member_name, errors) -> None.
# The full path ``prefix + name`` is only built when an error is reported, which keeps
# the happy path free of string concatenation.
_Check = Callable[[Any, str, str, list], None]
# An operation-level validator / decoder over the whole request body.
_OpCheck = Callable[[dict], None]

_validators: dict[str, _OpCheck] = {}
_decoders: dict[str, _OpCheck | None] = {}

# The KMS operation names of the model (wire.model.operation_names(), as the dispatcher uses).
OPERATION_NAMES: frozenset[str] = operation_names()


def _input_shape(operation_name: str) -> Shape | None:
    try:
        return service_model().operation_model(operation_name).input_shape
    except OperationNotFoundError:
        raise UnknownOperationException(f"Unknown operation {operation_name}") from None


def _camel(name: str) -> str:
    """AWS reports member paths in camelCase: ``NumberOfBytes`` -> ``numberOfBytes``."""
    return name[:1].lower() + name[1:]


# --------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------


def validate(operation_name: str, params: dict) -> None:
    """Validate a decoded request body for ``operation_name`` against the KMS model.

    ``params`` must already have gone through :func:`decode_request` (blobs as bytes,
    timestamps as datetimes). Unknown top-level members are ignored, as AWS does; a
    member whose value is ``None`` (JSON ``null``) counts as absent.

    Raises ``SerializationException`` at the first value of the wrong JSON type and
    ``ValidationException`` listing every constraint failure otherwise.
    """
    check = _validators.get(operation_name)
    if check is None:
        check = _validators[operation_name] = _compile_operation(operation_name)
    check(params)


def decode_request(operation_name: str, params: dict) -> dict:
    """Convert wire JSON values to Python types in place and return ``params``.

    * blob members (also nested in structures/lists/maps): base64 ``str`` -> ``bytes``;
      invalid base64 raises ``SerializationException``. ``bytes`` pass through.
    * timestamp members: epoch seconds (int/float) -> timezone-aware UTC ``datetime``.
    * integer members: integral floats such as ``5.0`` -> ``int``.

    Values of any other (wrong) type are left untouched for :func:`validate` to report.
    """
    if type(params) is not dict:
        raise _body_error(params)
    if operation_name in _decoders:
        decode = _decoders[operation_name]
    else:
        decode = _decoders[operation_name] = _compile_decoder(operation_name)
    if decode is not None:
        decode(params)
    return params


def compiled(operation_name: str) -> tuple[_OpCheck | None, _OpCheck]:
    """``(decoder or None, validator)`` of ``operation_name``, compiled on first use: what
    :func:`decode_request` and :func:`validate` call, for a caller that looks them up once
    (the decoder expects a dict; the validator checks that itself)."""
    if operation_name not in _decoders:
        _decoders[operation_name] = _compile_decoder(operation_name)
    check = _validators.get(operation_name)
    if check is None:
        check = _validators[operation_name] = _compile_operation(operation_name)
    return _decoders[operation_name], check


# --------------------------------------------------------------------------------------
# Messages
# --------------------------------------------------------------------------------------

# SerializationException texts. AWS's JSON front end (Coral) answers type mismatches with
# SerializationException; the exact KMS texts are unrecorded, so these follow the wording
# Coral services are known to use ("STRING_VALUE can not be converted to an Integer",
# "Start of structure or map found where not expected.").
_TOKEN = {str: "STRING_VALUE", int: "NUMBER_VALUE", float: "NUMBER_VALUE", bool: "BOOLEAN_VALUE"}
_NOT_A_STRUCTURE = {
    list: "Start of list found where not expected.",
    str: "STRING_VALUE can not be converted to a Structure",
    int: "NUMBER_VALUE can not be converted to a Structure",
    float: "NUMBER_VALUE can not be converted to a Structure",
    bool: "BOOLEAN_VALUE can not be converted to a Structure",
}
_TARGET = {
    "string": "a String",
    "integer": "an Integer",
    "long": "a Long",
    "boolean": "a Boolean",
    "blob": "a Blob",
    "timestamp": "a Timestamp",
    "structure": "a Structure",
    "list": "a List",
    "map": "a Map",
}


def _type_error(value: Any, expected: str) -> SerializationException:
    if isinstance(value, dict):
        return SerializationException("Start of structure or map found where not expected.")
    if isinstance(value, list):
        return SerializationException("Start of list found where not expected.")
    token = _TOKEN.get(type(value), type(value).__name__.upper() + "_VALUE")
    target = _TARGET.get(expected, expected)
    return SerializationException(f"{token} can not be converted to {target}")


def _body_error(body: Any) -> SerializationException:
    # A body that is not a JSON object cannot be read as the request structure.
    message = _NOT_A_STRUCTURE.get(type(body), "Start of structure or map expected.")
    return SerializationException(message)


def _java_str(value: Any) -> str:
    """Java ``toString`` of a deserialized value, as AWS echoes it in messages."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, (bytes, bytearray)):
        n = len(value)
        return f"java.nio.HeapByteBuffer[pos=0 lim={n} cap={n}]"
    if isinstance(value, list):
        return "[" + ", ".join(_java_str(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={_java_str(v)}" for k, v in value.items()) + "}"
    return str(value)


def _failure(value: Any, path: str, constraint: str, sensitive: bool) -> str:
    # Sensitive values are never echoed: "Value at 'plaintext' failed to ...".
    shown = "Value at" if sensitive else f"Value '{_java_str(value)}' at"
    return f"{shown} '{path}' failed to satisfy constraint: {constraint}"


def _length_failure(value: list | dict, path: str, lo: int, hi: int | None, sensitive: bool) -> str:
    """Length failure of a list/map whose size is outside [lo, hi]."""
    if len(value) < lo:
        return _failure(value, path, f"Member must have length greater than or equal to {lo}", sensitive)
    return _failure(value, path, f"Member must have length less than or equal to {hi}", sensitive)


def _null_failure(path: str) -> str:
    return f"Value null at '{path}' failed to satisfy constraint: Member must not be null"


def _validation_error(errors: list[str]) -> ValidationException:
    # AWS: "1 validation error detected: <e>" / "2 validation errors detected: <e1>; <e2>".
    n = len(errors)
    noun = "validation error" if n == 1 else "validation errors"
    return ValidationException(f"{n} {noun} detected: " + "; ".join(errors))


# --------------------------------------------------------------------------------------
# Compilation: validation
# --------------------------------------------------------------------------------------


def _never(v: Any) -> bool:
    return False


def _always(v: Any) -> bool:
    return True


_TYPE_TESTS: dict[str, tuple[type, Callable[[Any], bool]]] = {
    "string": (str, _never),
    "integer": (int, _never),
    "long": (int, _never),
    "boolean": (bool, _never),
    "blob": (bytes, lambda v: isinstance(v, (bytes, bytearray))),
    "timestamp": (datetime, lambda v: isinstance(v, datetime)),
}


# The order AWS lists an enum's values in "Member must satisfy enum value set: [...]", where a
# real answer was recorded (aws_errors.json; neither alphabetical nor the model's order).
# Values the model added since the recording follow in the model's order (a guess).
_RECORDED_ENUM_ORDER: dict[str, tuple[str, ...]] = {
    "MacAlgorithmSpec": ("HMAC_SHA_384", "HMAC_SHA_256", "HMAC_SHA_224", "HMAC_SHA_512"),
    "KeySpec": (
        "RSA_2048", "ECC_NIST_P384", "ECC_NIST_P256", "ECC_NIST_P521", "HMAC_384", "RSA_3072",
        "ECC_SECG_P256K1", "RSA_4096", "SYMMETRIC_DEFAULT", "HMAC_256", "HMAC_224", "HMAC_512",
    ),
    "KeyUsageType": ("ENCRYPT_DECRYPT", "SIGN_VERIFY", "GENERATE_VERIFY_MAC"),
    "KeyAgreementAlgorithmSpec": ("ECDH",),
}  # fmt: skip


def enum_order(shape_name: str, values: list[str]) -> list[str]:
    """An enum's values in AWS's recorded order where known, else in the model's order."""
    recorded = [value for value in _RECORDED_ENUM_ORDER.get(shape_name, ()) if value in values]
    return recorded + [value for value in values if value not in recorded]


class _Scalar:
    """Precomputed constraints of a string/integer/blob/boolean/timestamp shape."""

    __slots__ = ("kind", "exact", "typeok", "min", "max", "regex", "pattern", "enum",
                 "enum_set", "sensitive", "ok")

    def __init__(self, shape: Shape, sensitive: bool) -> None:
        meta = shape.metadata
        self.kind = shape.type_name
        # Type test: ``type(v) is exact`` on the fast path, ``typeok(v)`` as fallback.
        # bool is an int subclass in Python but never a JSON number, hence exact types.
        self.exact, self.typeok = _TYPE_TESTS.get(self.kind, (object, _always))
        self.min: int | None = meta.get("min")
        self.max: int | None = meta.get("max")
        self.pattern: str | None = meta.get("pattern")
        self.regex: re.Pattern | None = None
        if self.pattern is not None:
            try:
                # Java's \w, \d, \s are ASCII-only by default; re.ASCII matches that.
                self.regex = re.compile(self.pattern, re.ASCII)
            except re.error:  # a Java-only construct: skip the pattern rather than fail
                self.regex = None
        self.enum: list[str] = enum_order(shape.name, list(getattr(shape, "enum", None) or []))
        self.enum_set = frozenset(self.enum)
        self.sensitive = sensitive or bool(meta.get("sensitive"))
        self.ok = self._fast_predicate()

    def _fast_predicate(self) -> Callable[[Any], bool]:
        """A single cheap predicate for the happy path; messages are built only on failure."""
        mn, mx, rx, es = self.min, self.max, self.regex, self.enum_set
        numeric = self.kind in ("integer", "long")
        if numeric:
            lo = mn if mn is not None else float("-inf")
            hi = mx if mx is not None else float("inf")
            return lambda v: lo <= v <= hi
        if self.kind not in ("string", "blob"):
            return lambda v: True
        lo = mn if mn is not None else 0
        hi = mx if mx is not None else float("inf")
        if rx is None and not es:
            return lambda v: lo <= len(v) <= hi
        if rx is None:
            return lambda v: v in es and lo <= len(v) <= hi
        fullmatch = rx.fullmatch
        if not es:
            return lambda v: lo <= len(v) <= hi and fullmatch(v) is not None
        return lambda v: v in es and lo <= len(v) <= hi and fullmatch(v) is not None

    def has_constraints(self) -> bool:
        return bool(self.min is not None or self.max is not None or self.regex or self.enum)

    def failures(self, value: Any) -> list[str]:
        """Constraint texts ("Member must ...") that ``value`` violates."""
        out: list[str] = []
        if self.kind in ("integer", "long"):
            if self.min is not None and value < self.min:
                out.append(f"Member must have value greater than or equal to {self.min}")
            if self.max is not None and value > self.max:
                out.append(f"Member must have value less than or equal to {self.max}")
            return out
        n = len(value)
        # Lengths are Python lengths (code points for strings). Java counts UTF-16 units,
        # so a string with astral characters may differ from AWS at the boundary.
        if self.min is not None and n < self.min:
            out.append(f"Member must have length greater than or equal to {self.min}")
        if self.max is not None and n > self.max:
            out.append(f"Member must have length less than or equal to {self.max}")
        if self.regex is not None and self.regex.fullmatch(value) is None:
            out.append(f"Member must satisfy regular expression pattern: {self.pattern}")
        if self.enum and value not in self.enum_set:
            out.append(f"Member must satisfy enum value set: [{', '.join(self.enum)}]")
        return out

    def all_constraints(self) -> list[str]:
        """Every constraint of the shape, as AWS lists them for list/map elements."""
        out: list[str] = []
        word = "value" if self.kind in ("integer", "long") else "length"
        if self.max is not None:
            out.append(f"Member must have {word} less than or equal to {self.max}")
        if self.min is not None:
            out.append(f"Member must have {word} greater than or equal to {self.min}")
        if self.regex is not None:
            out.append(f"Member must satisfy regular expression pattern: {self.pattern}")
        if self.enum:
            out.append(f"Member must satisfy enum value set: [{', '.join(self.enum)}]")
        return out


def _compile_check(shape: Shape, sensitive: bool, seen: dict[str, _Check]) -> _Check:
    """Compile a check for a member of ``shape``. ``seen`` caches per shape name."""
    sensitive = sensitive or bool(shape.metadata.get("sensitive"))
    key = f"{shape.name}:{sensitive}"
    if key in seen:
        return seen[key]
    kind = shape.type_name
    if kind == "structure":
        # KMS input shapes are not recursive, so plain eager compilation terminates.
        struct = _compile_structure(shape, sensitive, seen)

        def check(v: Any, prefix: str, name: str, errs: list) -> None:
            if type(v) is not dict:
                raise _type_error(v, "structure")
            struct(v, prefix + name + ".", errs)
    elif kind == "list":
        check = _compile_list(shape, sensitive, seen)
    elif kind == "map":
        check = _compile_map(shape, sensitive, seen)
    else:
        check = _compile_scalar(_Scalar(shape, sensitive))
    seen[key] = check
    return check


def _compile_scalar(spec: _Scalar) -> _Check:
    exact, typeok, ok, kind = spec.exact, spec.typeok, spec.ok, spec.kind

    if not spec.has_constraints():
        def check(v: Any, prefix: str, name: str, errs: list) -> None:
            if type(v) is not exact and not typeok(v):
                raise _type_error(v, kind)
        return check

    def check(v: Any, prefix: str, name: str, errs: list) -> None:  # noqa: F811
        if type(v) is not exact and not typeok(v):
            raise _type_error(v, kind)
        if not ok(v):
            path = prefix + name
            for constraint in spec.failures(v):
                errs.append(_failure(v, path, constraint, spec.sensitive))
    return check


def _compile_list(shape: Shape, sensitive: bool, seen: dict[str, _Check]) -> _Check:
    meta = shape.metadata
    lo = meta.get("min", 0)
    hi = meta.get("max")
    hi_cmp = hi if hi is not None else float("inf")
    member = shape.member

    if member.type_name == "structure":
        struct = _compile_structure(member, sensitive, seen)

        def check_elements(v: list, path: str, errs: list) -> None:
            for i, item in enumerate(v, 1):
                if item is None:
                    errs.append(_null_failure(f"{path}.{i}.member"))
                else:
                    if type(item) is not dict:
                        raise _type_error(item, "structure")
                    struct(item, f"{path}.{i}.member.", errs)
    elif member.type_name in ("list", "map"):
        inner = _compile_check(member, sensitive, seen)

        def check_elements(v: list, path: str, errs: list) -> None:
            for i, item in enumerate(v, 1):
                if item is None:
                    errs.append(_null_failure(f"{path}.{i}.member"))
                else:
                    inner(item, f"{path}.{i}.", "member", errs)
    else:
        # Lists of scalars: AWS reports one error for the whole list and names every
        # constraint of the element shape: "Value '[a, b]' at 'x' failed to satisfy
        # constraint: Member must satisfy constraint: [Member must satisfy enum ...]".
        spec = _Scalar(member, sensitive)
        exact, typeok, ok, kind = spec.exact, spec.typeok, spec.ok, spec.kind
        constrained = spec.has_constraints()

        def check_elements(v: list, path: str, errs: list) -> None:
            has_null = bad = False
            for item in v:
                if item is None:
                    has_null = True
                    continue
                if type(item) is not exact and not typeok(item):
                    raise _type_error(item, kind)
                if constrained and not ok(item):
                    bad = True
            if bad or has_null:
                texts = spec.all_constraints() + (["Member must not be null"] if has_null else [])
                constraint = f"Member must satisfy constraint: [{', '.join(texts)}]"
                errs.append(_failure(v, path, constraint, spec.sensitive))

    def check(v: Any, prefix: str, name: str, errs: list) -> None:
        if type(v) is not list:
            raise _type_error(v, "list")
        n = len(v)
        if n < lo or n > hi_cmp:
            errs.append(_length_failure(v, prefix + name, lo, hi, sensitive))
        if n:
            check_elements(v, prefix + name, errs)
    return check


def _compile_map(shape: Shape, sensitive: bool, seen: dict[str, _Check]) -> _Check:
    meta = shape.metadata
    lo = meta.get("min", 0)
    hi = meta.get("max")
    hi_cmp = hi if hi is not None else float("inf")
    key_spec = _Scalar(shape.key, sensitive)
    value_shape = shape.value
    # JSON object keys are always strings; only their constraints can fail.
    key_constrained = key_spec.has_constraints()
    key_ok = key_spec.ok

    if value_shape.type_name in ("structure", "list", "map"):
        inner = _compile_check(value_shape, sensitive, seen)

        def check_values(v: dict, path: str, errs: list) -> None:
            for k, item in v.items():
                if item is None:
                    errs.append(_null_failure(f"{path}.{k}"))
                else:
                    inner(item, path + ".", k, errs)
    else:
        vspec = _Scalar(value_shape, sensitive)
        exact, typeok, ok, kind = vspec.exact, vspec.typeok, vspec.ok, vspec.kind
        constrained = vspec.has_constraints()

        def check_values(v: dict, path: str, errs: list) -> None:
            has_null = bad = False
            for item in v.values():
                if type(item) is not exact:
                    if item is None:
                        has_null = True
                        continue
                    if not typeok(item):
                        raise _type_error(item, kind)
                if constrained and not ok(item):
                    bad = True
            if bad or has_null:
                # Coral's wording for map values (no KMS map value is constrained today).
                texts = vspec.all_constraints() + (["Member must not be null"] if has_null else [])
                constraint = f"Map value must satisfy constraint: [{', '.join(texts)}]"
                errs.append(_failure(v, path, constraint, vspec.sensitive))

    def check(v: Any, prefix: str, name: str, errs: list) -> None:
        if type(v) is not dict:
            raise _type_error(v, "map")
        n = len(v)
        if n < lo or n > hi_cmp:
            errs.append(_length_failure(v, prefix + name, lo, hi, sensitive))
        if n:
            if key_constrained and not all(key_ok(k) for k in v):
                constraint = f"Map keys must satisfy constraint: [{', '.join(key_spec.all_constraints())}]"
                errs.append(_failure(v, prefix + name, constraint, sensitive))
            check_values(v, prefix + name, errs)
    return check


def _compile_structure(
    shape: Shape, sensitive: bool, seen: dict[str, _Check]
) -> Callable[[dict, str, list], None]:
    """Check of a structure's members given the dict and its child prefix ('a.b.')."""
    required = set(shape.required_members)
    # Members of a sensitive structure are not echoed either.
    members: list[tuple[str, str, bool, _Check]] = [
        (name, _camel(name), name in required, _compile_check(mshape, sensitive, seen))
        for name, mshape in shape.members.items()
    ]

    def check(v: dict, prefix: str, errs: list) -> None:
        get = v.get
        for name, camel, req, member_check in members:
            value = get(name)
            if value is None:
                if req:
                    errs.append(_null_failure(prefix + camel))
            else:
                member_check(value, prefix, camel, errs)
    return check


def _compile_operation(operation_name: str) -> _OpCheck:
    shape = _input_shape(operation_name)
    if shape is None or not shape.members:
        def check_empty(params: dict) -> None:
            if type(params) is not dict:
                raise _body_error(params)
        return check_empty

    struct = _compile_structure(shape, False, {})

    def check(params: dict) -> None:
        if type(params) is not dict:
            raise _body_error(params)
        errs: list[str] = []
        struct(params, "", errs)
        if errs:
            raise _validation_error(errs)
    return check


# --------------------------------------------------------------------------------------
# Compilation: decoding (wire JSON -> Python types)
# --------------------------------------------------------------------------------------

# (container, key, path) -> None: converts container[key] in place.
_Convert = Callable[[Any, Any, str], None]


# b64decode(value, validate=True) is a2b_base64(value, strict_mode=True) since Python 3.11;
# calling it directly skips a Python-level wrapper on every blob.
_STRICT_A2B = sys.version_info >= (3, 11)
_a2b_base64 = binascii.a2b_base64


def _decode_blob(container: Any, key: Any, path: str) -> None:
    value = container[key]
    if type(value) is str:
        try:
            if _STRICT_A2B:
                container[key] = _a2b_base64(value, strict_mode=True)
            else:
                container[key] = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            # Exact AWS text unrecorded; the value itself is not echoed (may be secret).
            message = f"Invalid Base64 encoding of the value at '{path}'"
            raise SerializationException(message) from None


def _decode_timestamp(container: Any, key: Any, path: str) -> None:
    value = container[key]
    if type(value) in (int, float):
        try:
            container[key] = datetime.fromtimestamp(value, tz=timezone.utc)
        except (OverflowError, OSError, ValueError):
            raise SerializationException(
                f"NUMBER_VALUE at '{path}' can not be converted to a Timestamp") from None


def _decode_integer(container: Any, key: Any, path: str) -> None:
    value = container[key]
    if type(value) is float and value.is_integer():
        container[key] = int(value)


def _compile_converter(shape: Shape, seen: dict[str, _Convert | None]) -> _Convert | None:
    """Converter for a value of ``shape``, or None if nothing inside needs converting."""
    if shape.name in seen:
        return seen[shape.name]
    kind = shape.type_name
    seen[shape.name] = None  # breaks recursion; recursive shapes hold no blobs in KMS
    conv: _Convert | None = None
    if kind == "blob":
        conv = _decode_blob
    elif kind == "timestamp":
        conv = _decode_timestamp
    elif kind in ("integer", "long"):
        conv = _decode_integer
    elif kind == "structure":
        walk = _compile_struct_decoder(shape, seen)
        if walk is not None:
            def conv(container: Any, key: Any, path: str) -> None:
                value = container[key]
                if type(value) is dict:
                    walk(value, path + ".")
    elif kind == "list":
        inner = _compile_converter(shape.member, seen)
        if inner is not None:
            def conv(container: Any, key: Any, path: str) -> None:
                value = container[key]
                if type(value) is list:
                    for i in range(len(value)):
                        if value[i] is not None:
                            inner(value, i, f"{path}.{i + 1}.member")
    elif kind == "map":
        inner = _compile_converter(shape.value, seen)
        if inner is not None:
            def conv(container: Any, key: Any, path: str) -> None:
                value = container[key]
                if type(value) is dict:
                    for k in list(value):
                        if value[k] is not None:
                            inner(value, k, f"{path}.{k}")
    seen[shape.name] = conv
    return conv


def _compile_struct_decoder(
    shape: Shape, seen: dict[str, _Convert | None]
) -> Callable[[dict, str], None] | None:
    """Walker converting the members of a structure that (transitively) need it."""
    plan = [
        (name, _camel(name), conv)
        for name, mshape in shape.members.items()
        if (conv := _compile_converter(mshape, seen)) is not None
    ]
    if not plan:
        return None

    def walk(v: dict, prefix: str) -> None:
        for name, camel, conv in plan:
            if v.get(name) is not None:
                conv(v, name, prefix + camel)
    return walk


def _compile_decoder(operation_name: str) -> _OpCheck | None:
    shape = _input_shape(operation_name)
    if shape is None:
        return None
    walk = _compile_struct_decoder(shape, {})
    if walk is None:
        return None
    return functools.partial(walk, prefix="")  # a C-level call: no extra Python frame
