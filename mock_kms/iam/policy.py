"""A compact evaluator for the IAM policy language, as used by KMS key policies and IAM
identity policies.

Two steps, on purpose kept apart:

* :func:`parse_policy` turns JSON text into an immutable :class:`Policy`. All validation
  and all the expensive work (wildcard compilation, parsing of numbers, dates and CIDR
  blocks in conditions) happens here, once. Bad documents raise
  :class:`~mock_kms.core.errors.MalformedPolicyDocumentException`.
* :func:`evaluate` checks one :class:`Policy` against one :class:`RequestContext` and says
  whether it explicitly denies, allows, or does not apply. It is pure and holds no KMS state.

Combining several policies (key policy + identity policies + grants, "explicit deny wins",
"the key policy must delegate to the account before IAM policies count", cross-account
rules) is the caller's job. To make that possible, :func:`evaluate` reports *how* an
``Allow`` reached the caller: directly (the statement names the caller) or only through the
**account principal** (``"AWS": "111122223333"`` / ``arn:aws:iam::111122223333:root``), which
in a key policy merely delegates to the account's IAM policies.

Where AWS documents a behaviour, the comment says so; where it does not, the comment says
"guess".
"""

from __future__ import annotations

import base64
import binascii
import enum
import functools
import ipaddress
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Literal, NamedTuple

from mock_kms.core.errors import MalformedPolicyDocumentException
from mock_kms.iam.glob import ArnWildcard, Token, Wildcard

__all__ = [
    "Condition",
    "Decision",
    "EvaluationResult",
    "Policy",
    "PrincipalMatch",
    "PrincipalSpec",
    "RequestContext",
    "Statement",
    "condition_holds",
    "evaluate",
    "parse_policy",
    "principal_matches",
    "statement_applies",
]

PolicyKind = Literal["key", "identity"]
PrincipalMatch = Literal["direct", "account"] | None
ConditionValue = str | bytes | bool | int | float | datetime | list | tuple | None

# --------------------------------------------------------------------------------------
# Error messages
# --------------------------------------------------------------------------------------

# Recorded from real AWS responses (spec §5).
MSG_INVALID_PRINCIPALS = "Policy contains a statement with one or more invalid principals."
# Documented in the KMS Developer Guide (conditions-kms, "Using set operators"), where the
# text reads "[encryption context or tag]"; we fill in the one that applies. (An older
# paragraph of the same guide spells the prefix "OverlyPermissiveCondition:EncryptionContext:".)
MSG_OVERLY_PERMISSIVE = (
    "OverlyPermissiveCondition: Using the ForAllValues set operator with a single-valued "
    "condition key matches requests without the specified {what} or with an unspecified "
    "{what}. To fix, remove ForAllValues."
)
# IAM's text for a Principal in an identity policy (CreatePolicy / PutUserPolicy).
MSG_IDENTITY_WITH_PRINCIPAL = "Policy document should not specify a principal."
# A key policy that is not JSON: AWS answers with an empty message [kms_spec.md §5.3,
# aws-sdk-ruby#1784]. Identity policies (IAM, not KMS) keep a readable text (a guess).
MSG_KEY_POLICY_NOT_JSON = ""
# [kms_spec.md §5.3, terraform-aws-eks#2163]
MSG_NO_PRINCIPAL = "Policy contains a statement with no principal."
# Guesses: AWS's texts for these cases are not recorded anywhere we could find.
MSG_NOT_JSON = "The policy document is not valid JSON."
MSG_NOT_OBJECT = "The policy document must be a JSON object."
MSG_NO_STATEMENT = "The policy document must contain a Statement element."
MSG_BAD_STATEMENT = "Policy contains a statement that is not a JSON object."


def _malformed(message: str) -> MalformedPolicyDocumentException:
    return MalformedPolicyDocumentException(message)


# --------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------


class Decision(enum.Enum):
    ALLOW = "Allow"
    DENY = "Deny"  # an explicit Deny statement matched
    NOT_APPLICABLE = "NotApplicable"  # no statement matched: an implicit deny


class EvaluationResult(NamedTuple):
    """What one policy says about one request.

    ``matched_account_principal_only`` is only meaningful for ``ALLOW``: it is True when
    every matching Allow statement reached the caller only through the account principal.
    In a key policy that means "the account may delegate this with IAM policies", so the
    caller's identity policies must allow the action too [KMS DG: key-policy-default].
    A Deny matched through the account principal denies everyone in that account.
    """

    # A NamedTuple rather than a frozen dataclass: equally immutable, cheaper to build.
    decision: Decision
    matched_account_principal_only: bool = False
    sid: str | None = None  # Sid of the deciding statement, for explanations

    @property
    def allowed(self) -> bool:
        return self.decision is Decision.ALLOW

    @property
    def denied(self) -> bool:
        return self.decision is Decision.DENY


# --------------------------------------------------------------------------------------
# Request context
# --------------------------------------------------------------------------------------


@dataclass
class RequestContext:
    """The facts about one request that a policy can test.

    ``condition_values`` maps condition keys to request values. Keys are matched
    case-insensitively (all IAM condition keys are, including the ``context-key`` part of
    ``kms:EncryptionContext:context-key`` [KMS DG: conditions-kms, "Case sensitivity of the
    encryption context condition"]). Multi-valued keys (``kms:EncryptionContextKeys``,
    ``aws:TagKeys``) are lists. ``None`` or an empty list means "key not in the request".

    ``aws:PrincipalArn`` and ``aws:PrincipalAccount`` are filled in from the principal when
    not given. Do not mutate ``condition_values`` after construction: a normalised copy
    is taken once so that evaluation stays cheap.
    """

    action: str  # "kms:Encrypt"
    resource: str  # key ARN, alias ARN, or "*" for operations without a resource
    principal_arn: str  # arn:aws:iam::111122223333:user/Alice, ...:root, arn:aws:sts::...
    principal_account: str
    # Other ARNs the principal also counts as, e.g. the role ARN of an assumed-role session.
    principal_aliases: tuple[str, ...] = ()
    condition_values: Mapping[str, ConditionValue] = field(default_factory=dict)

    # Derived, computed once in __post_init__.
    _values: dict[str, ConditionValue] = field(init=False, repr=False, compare=False)
    _action_lower: str = field(init=False, repr=False, compare=False)
    _is_account_root: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        values = {key.lower(): value for key, value in self.condition_values.items()}
        values.setdefault("aws:principalarn", self.principal_arn)
        values.setdefault("aws:principalaccount", self.principal_account)
        self._values = values
        self._action_lower = self.action.lower()
        # The account principal ARN used as a caller is the account's root user.
        self._is_account_root = _root_account(self.principal_arn) == self.principal_account


# --------------------------------------------------------------------------------------
# Wildcards and policy variables
# --------------------------------------------------------------------------------------


class _Unresolvable(Exception):
    """A policy variable has no value. AWS: "If AWS cannot resolve a variable this might
    cause the entire statement to be invalid" [IAM UG: reference_policies_variables] -- we
    treat the statement as not applying (neither its Allow nor its Deny)."""


@functools.lru_cache(maxsize=4096)
def _wildcard(tokens: tuple[Token, ...], arn: bool) -> Wildcard | ArnWildcard:
    """The linear-time matcher of a pattern (iam/glob.py); ARN patterns need five literal colons."""
    return (ArnWildcard.compile(tokens) if arn else None) or Wildcard.compile(tokens)


@dataclass(frozen=True)
class _Glob:
    """A compiled wildcard pattern with fast paths for the common shapes
    (``*``, exact text, ``prefix*``). ``ignore_case`` patterns expect lower-cased input."""

    source: str
    kind: Literal["all", "exact", "prefix", "wildcard"]
    text: str = ""  # exact text or prefix, lower-cased if ignore_case
    matcher: Wildcard | ArnWildcard | None = None

    @staticmethod
    def compile(pattern: str, *, ignore_case: bool = False) -> _Glob:
        text = pattern.lower() if ignore_case else pattern
        if text == "*":
            return _Glob(pattern, "all")
        if "*" not in text and "?" not in text:
            return _Glob(pattern, "exact", text)
        if text.endswith("*") and "*" not in text[:-1] and "?" not in text:
            return _Glob(pattern, "prefix", text[:-1])
        return _Glob(pattern, "wildcard", matcher=_wildcard(tuple((c, c in "*?") for c in text), False))

    def matches(self, value: str) -> bool:
        kind = self.kind
        if kind == "all":
            return True
        if kind == "exact":
            return value == self.text
        if kind == "prefix":
            return value.startswith(self.text)
        return self.matcher.matches(value)  # type: ignore[union-attr]


# A template is a string that may contain policy variables, split at parse time into parts:
#   ("lit", text)       text written in the policy; wildcards keep their meaning
#   ("esc", char)       ${*} ${?} ${$}: a literal *, ? or $ [IAM UG: policy variables]
#   ("var", key, dflt)  ${key} or ${key, 'default'}; key lower-cased
_TemplatePart = tuple
_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_VARIABLE_BODY = re.compile(r"^\s*([^\s,'][^,']*?)\s*(?:,\s*'([^']*)'\s*)?$")


def _parse_template(text: str, variables_enabled: bool) -> tuple[_TemplatePart, ...] | None:
    """Split ``text`` into template parts, or return None when it has no variables (the
    common case, which then gets compiled once at parse time)."""
    if not variables_enabled or "${" not in text:
        return None
    parts: list[_TemplatePart] = []
    position = 0
    for match in _VARIABLE.finditer(text):
        if match.start() > position:
            parts.append(("lit", text[position : match.start()]))
        body = match.group(1)
        if body in ("*", "?", "$"):
            parts.append(("esc", body))
        elif (var := _VARIABLE_BODY.match(body)) is not None:
            parts.append(("var", var.group(1).lower(), var.group(2)))
        else:  # not a variable after all; keep the text as written (guess)
            parts.append(("lit", match.group(0)))
        position = match.end()
    if position < len(text):
        parts.append(("lit", text[position:]))
    return tuple(parts)


def _variable_value(values: Mapping[str, ConditionValue], key: str, default: str | None) -> str:
    """The text a variable stands for. Multi-valued keys cannot be used as variables
    [IAM UG: reference_policies_variables]."""
    value = values.get(key)
    if value is None or isinstance(value, (list, tuple)):
        if default is not None:
            return default
        raise _Unresolvable(key)
    return _as_text(value)


def _resolve_text(parts: tuple[_TemplatePart, ...], values: Mapping[str, ConditionValue]) -> str:
    """Substitute variables; the result is plain text (for exact comparisons)."""
    return "".join(_variable_value(values, p[1], p[2]) if p[0] == "var" else p[1] for p in parts)


def _pattern(
    parts: tuple[_TemplatePart, ...],
    values: Mapping[str, ConditionValue],
    *,
    arn: bool = False,
    ignore_case: bool = False,
) -> _Glob:
    """Compile a wildcard template, substituting variables.

    Only wildcards written in the policy count; ``${*}``/``${?}`` and the text of a
    substituted variable are matched literally (guess for variables: AWS does not say, and
    literal is the safe reading).

    ``arn=True`` (ArnEquals/ArnLike): the six colon-separated parts of an ARN are matched
    separately [IAM UG: ARN condition operators], so a wildcard in the first five parts
    does not cross a colon. A value with fewer than five colons is not an ARN pattern and is
    matched as a plain wildcard (guess; makes ``"*"`` match every ARN).
    """
    if arn and sum(p[1].count(":") for p in parts if p[0] != "var") < 5:
        arn = False
    if not arn and len(parts) == 1 and parts[0][0] == "lit":
        return _Glob.compile(parts[0][1], ignore_case=ignore_case)  # fast paths
    tokens: list[Token] = []
    texts: list[str] = []
    for part in parts:
        text = _variable_value(values, part[1], part[2]) if part[0] == "var" else part[1]
        texts.append(text)
        if ignore_case:
            text = text.lower()
        wild = part[0] == "lit"
        tokens.extend((char, wild and char in "*?") for char in text)
    source = "".join(texts)
    return _Glob(source, "wildcard", matcher=_wildcard(tuple(tokens), arn))


@dataclass(frozen=True)
class _ResourcePattern:
    """One entry of Resource/NotResource. Resources are case-sensitive [IAM UG: Resource]."""

    glob: _Glob | None  # compiled at parse time when there are no variables
    template: tuple[_TemplatePart, ...] | None = None

    def matches(self, resource: str, values: Mapping[str, ConditionValue]) -> bool:
        if self.glob is not None:
            return self.glob.matches(resource)
        return _pattern(self.template, values).matches(resource)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------
# Conditions
# --------------------------------------------------------------------------------------

_INVALID = object()  # a value that could not be read for the operator; it never matches


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return _utc(value).isoformat().replace("+00:00", "Z")
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return str(value)


def _utc(moment: datetime) -> datetime:
    # Naive datetimes are taken to be UTC (AWS times are always UTC).
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment


def _number(value: Any) -> Any:
    if isinstance(value, bool):
        return _INVALID
    if isinstance(value, (int, float)):
        return value
    try:
        text = str(value).strip()
        return int(text) if re.fullmatch(r"[+-]?\d+", text) else float(text)
    except ValueError:
        return _INVALID


def _date(value: Any) -> Any:
    """ISO 8601 (date or date-time) or epoch seconds [IAM UG: Date condition operators]."""
    if isinstance(value, datetime):
        return _utc(value)
    if isinstance(value, bool):
        return _INVALID
    try:
        if isinstance(value, (int, float)):
            return datetime.fromtimestamp(value, timezone.utc)
        text = str(value).strip()
        if re.fullmatch(r"\d+(\.\d+)?", text):
            return datetime.fromtimestamp(float(text), timezone.utc)
        # Python 3.10's fromisoformat does not read a "Z" suffix; the offset form it does.
        return _utc(datetime.fromisoformat(re.sub(r"[zZ]$", "+00:00", text)))
    except (ValueError, OverflowError, OSError):  # not a date, or epoch seconds out of range
        return _INVALID


def _bool_text(value: Any) -> Any:
    text = _as_text(value).lower()
    return text if text in ("true", "false") else _INVALID


def _binary(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    try:
        return base64.b64decode(str(value), validate=True)
    except (binascii.Error, ValueError):
        return _INVALID


def _network(value: Any) -> Any:
    try:
        return ipaddress.ip_network(str(value).strip(), strict=False)
    except ValueError:
        return _INVALID


def _address(value: Any) -> Any:
    try:
        return ipaddress.ip_address(str(value).strip())
    except ValueError:
        return _network(value)


def _in_network(address: Any, network: Any) -> bool:
    if isinstance(address, (ipaddress.IPv4Network, ipaddress.IPv6Network)):
        return address.version == network.version and address.subnet_of(network)
    return address in network


@dataclass(frozen=True)
class _Operator:
    """A base condition operator: how to read policy values and request values, and when
    one request value matches one policy value. Negated operators (StringNotEquals, ...)
    reuse the positive one with ``negated`` set on the condition."""

    read_policy: Callable[[Any], Any]  # policy value -> comparable (or _INVALID)
    read_request: Callable[[Any], Any]  # request value -> comparable (or _INVALID)
    test: Callable[[Any, Any], bool]  # (request, policy) -> match
    # Policy values are wildcard patterns: "glob" (StringLike) or "arn" (ArnLike/ArnEquals).
    pattern: Literal["glob", "arn"] | None = None


def _string_op(fold: bool = False) -> _Operator:
    read = (lambda v: _as_text(v).casefold()) if fold else _as_text
    return _Operator(read, read, lambda r, p: r == p)


def _compare_op(reader: Callable[[Any], Any], test: Callable[[Any, Any], bool]) -> _Operator:
    return _Operator(reader, reader, test)


def _pattern_op(kind: Literal["glob", "arn"]) -> _Operator:
    def read(value: Any) -> _Glob:
        return _pattern((("lit", _as_text(value)),), {}, arn=kind == "arn")

    return _Operator(read, _as_text, lambda r, p: p.matches(r), kind)


_STRING_LIKE = _pattern_op("glob")
_ARN = _pattern_op("arn")

# name -> (base operator, negated)
_OPERATORS: dict[str, tuple[_Operator, bool]] = {
    "StringEquals": (_string_op(), False),
    "StringNotEquals": (_string_op(), True),
    "StringEqualsIgnoreCase": (_string_op(fold=True), False),
    "StringNotEqualsIgnoreCase": (_string_op(fold=True), True),
    "StringLike": (_STRING_LIKE, False),
    "StringNotLike": (_STRING_LIKE, True),
    "NumericEquals": (_compare_op(_number, lambda r, p: r == p), False),
    "NumericNotEquals": (_compare_op(_number, lambda r, p: r == p), True),
    "NumericLessThan": (_compare_op(_number, lambda r, p: r < p), False),
    "NumericLessThanEquals": (_compare_op(_number, lambda r, p: r <= p), False),
    "NumericGreaterThan": (_compare_op(_number, lambda r, p: r > p), False),
    "NumericGreaterThanEquals": (_compare_op(_number, lambda r, p: r >= p), False),
    "DateEquals": (_compare_op(_date, lambda r, p: r == p), False),
    "DateNotEquals": (_compare_op(_date, lambda r, p: r == p), True),
    "DateLessThan": (_compare_op(_date, lambda r, p: r < p), False),
    "DateLessThanEquals": (_compare_op(_date, lambda r, p: r <= p), False),
    "DateGreaterThan": (_compare_op(_date, lambda r, p: r > p), False),
    "DateGreaterThanEquals": (_compare_op(_date, lambda r, p: r >= p), False),
    "Bool": (_compare_op(_bool_text, lambda r, p: r == p), False),
    "BinaryEquals": (_compare_op(_binary, lambda r, p: r == p), False),
    "IpAddress": (_Operator(_network, _address, _in_network), False),
    "NotIpAddress": (_Operator(_network, _address, _in_network), True),
    # ArnEquals and ArnLike behave identically, both accept wildcards [IAM UG].
    "ArnEquals": (_ARN, False),
    "ArnLike": (_ARN, False),
    "ArnNotEquals": (_ARN, True),
    "ArnNotLike": (_ARN, True),
}
# Operator names are looked up case-insensitively (guess: lenient).
_OPERATORS_LOWER = {name.lower(): (name, spec) for name, spec in _OPERATORS.items()}

SetOperator = Literal["ForAnyValue", "ForAllValues"] | None


@dataclass(frozen=True)
class _PolicyValue:
    """One value listed under a condition key: read at parse time when it has no
    variables, otherwise kept as a template and read at evaluation time."""

    value: Any  # comparable form, or _INVALID
    template: tuple[_TemplatePart, ...] | None = None


@dataclass(frozen=True)
class Condition:
    """One ``"Operator": {"key": values}`` entry, e.g. StringEquals on one key."""

    operator: str  # as written, e.g. "ForAnyValue:StringEqualsIfExists"
    key: str  # lower-cased condition key
    values: tuple[_PolicyValue, ...]
    base: _Operator | None  # None for Null
    negated: bool = False
    if_exists: bool = False
    set_operator: SetOperator = None
    null_expect_missing: tuple[bool, ...] = ()  # Null only: True = "key must be absent"
    written_key: str = ""  # the key as the policy writes it, for explanations


def _request_values(raw: ConditionValue) -> tuple:
    """A request value as a tuple; () when the key is absent."""
    if raw is None:
        return ()
    if isinstance(raw, (list, tuple, set, frozenset)):
        return tuple(v for v in raw if v is not None)
    return (raw,)


def _policy_values(cond: Condition, values: Mapping[str, ConditionValue]) -> list[Any]:
    """The comparable policy values of a condition, substituting variables if any."""
    base = cond.base
    assert base is not None
    out = []
    for pv in cond.values:
        if pv.template is None:
            out.append(pv.value)
        elif base.pattern is not None:
            out.append(_pattern(pv.template, values, arn=base.pattern == "arn"))
        else:
            out.append(base.read_policy(_resolve_text(pv.template, values)))
    return out


def condition_holds(cond: Condition, values: Mapping[str, ConditionValue]) -> bool:
    """Evaluate one condition against lower-cased request values.

    Semantics [IAM UG: Condition operators; single- vs multi-valued context keys]:
    * several values for one key are OR'ed; negated operators are true when *no* value
      matches (NOR);
    * key absent: ``...IfExists`` -> true; ``ForAllValues`` -> true; ``ForAnyValue`` ->
      false; negated operators -> true; everything else -> false;
    * ``ForAnyValue``: at least one request value matches; ``ForAllValues``: every request
      value matches (for negated operators "matches" means "matches none of the policy
      values").
    """
    request = _request_values(values.get(cond.key))

    if cond.base is None:  # Null: is the key absent?
        absent = not request
        return any(expect == absent for expect in cond.null_expect_missing)

    if not request:
        if cond.if_exists or cond.set_operator == "ForAllValues":
            return True
        if cond.set_operator == "ForAnyValue":
            return False
        return cond.negated

    base = cond.base
    policy = [p for p in _policy_values(cond, values) if p is not _INVALID]

    def matches_some(raw: Any) -> bool:
        value = base.read_request(raw)
        if value is _INVALID:
            return False
        for p in policy:
            try:
                if base.test(value, p):
                    return True
            except TypeError:  # e.g. comparing an IPv4 address with an IPv6 network
                continue
        return False

    if cond.set_operator is None:
        hit = any(matches_some(r) for r in request)
        return not hit if cond.negated else hit
    if cond.negated:
        outcome = (not matches_some(r) for r in request)
    else:
        outcome = (matches_some(r) for r in request)
    return any(outcome) if cond.set_operator == "ForAnyValue" else all(outcome)


# --------------------------------------------------------------------------------------
# Principals
# --------------------------------------------------------------------------------------

_ACCOUNT_ID = re.compile(r"^\d{12}$")
_PRINCIPAL_ARN = re.compile(r"^arn:aws[a-z-]*:(iam|sts)::(\d{12}):(.+)$")
_ROOT_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):root$")


def _root_account(arn: str) -> str | None:
    match = _ROOT_ARN.match(arn)
    return match.group(1) if match else None


@dataclass(frozen=True)
class PrincipalSpec:
    """The parsed ``Principal`` / ``NotPrincipal`` element."""

    anyone: bool = False  # "*" or {"AWS": "*"}
    accounts: frozenset[str] = frozenset()  # account principals: "123456789012" or ...:root
    arns: frozenset[str] = frozenset()  # users, roles, sessions; matched exactly
    others: frozenset[str] = frozenset()  # Service / Federated / CanonicalUser identifiers


def _valid_aws_principal_arn(service: str, resource: str) -> bool:
    """IAM users and roles, STS assumed-role sessions and federated users. IAM groups are
    not valid principals [KMS DG: key-policy-overview]; wildcards are not allowed inside a
    principal ARN [IAM UG: Principal]."""
    if "*" in resource or "?" in resource:
        return False
    if service == "iam":
        return resource == "root" or re.match(r"^(user|role)/.+", resource) is not None
    return re.match(r"^(assumed-role/[^/]+/.+|federated-user/.+)$", resource) is not None


def _parse_principal(
    element: Any, principal_exists: Callable[[str], bool] | None
) -> PrincipalSpec:
    if element == "*":
        return PrincipalSpec(anyone=True)
    if not isinstance(element, dict) or not element:
        raise _malformed(MSG_INVALID_PRINCIPALS)
    anyone = False
    accounts: set[str] = set()
    arns: set[str] = set()
    others: set[str] = set()
    for principal_type, raw in element.items():
        entries = raw if isinstance(raw, list) else [raw]
        if principal_type not in ("AWS", "Service", "Federated", "CanonicalUser") or not entries:
            raise _malformed(MSG_INVALID_PRINCIPALS)
        for entry in entries:
            if not isinstance(entry, str) or not entry.strip():
                raise _malformed(MSG_INVALID_PRINCIPALS)
            if principal_type != "AWS":
                # Service principals etc. only match a caller with exactly that identity.
                others.add(entry)
            elif entry == "*":
                anyone = True
            elif _ACCOUNT_ID.match(entry):
                accounts.add(entry)
            elif (match := _PRINCIPAL_ARN.match(entry)) and _valid_aws_principal_arn(
                match.group(1), match.group(3)
            ):
                if match.group(1) == "iam" and match.group(3) == "root":
                    accounts.add(match.group(2))
                elif principal_exists is not None and not principal_exists(entry):
                    raise _malformed(MSG_INVALID_PRINCIPALS)
                else:
                    arns.add(entry)
            else:
                raise _malformed(MSG_INVALID_PRINCIPALS)
    return PrincipalSpec(anyone, frozenset(accounts), frozenset(arns), frozenset(others))


def _names_caller(spec: PrincipalSpec, ctx: RequestContext) -> bool:
    """Does the spec name the caller itself (not merely its account)?"""
    if spec.anyone:
        return True
    if ctx.principal_arn in spec.arns or ctx.principal_arn in spec.others:
        return True
    if ctx._is_account_root and ctx.principal_account in spec.accounts:
        return True
    return any(alias in spec.arns or alias in spec.others for alias in ctx.principal_aliases)


def _match_principal(spec: PrincipalSpec, ctx: RequestContext) -> PrincipalMatch:
    if _names_caller(spec, ctx):
        return "direct"
    if ctx.principal_account in spec.accounts:
        return "account"
    return None


def _match_not_principal(spec: PrincipalSpec, ctx: RequestContext) -> PrincipalMatch:
    """NotPrincipal excludes a caller only when it lists both the caller (its ARN or an
    alias such as the role of a session) and the caller's account: AWS evaluates a request
    also as coming from the account, so naming just the user leaves the account matched
    [IAM UG: NotPrincipal, "specify the account ARN as well"]."""
    names_account = spec.anyone or ctx.principal_account in spec.accounts
    if _names_caller(spec, ctx) and names_account:
        return None
    return "direct"


# --------------------------------------------------------------------------------------
# Statements and policies
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Statement:
    sid: str | None
    effect: Literal["Allow", "Deny"]
    principal: PrincipalSpec | None  # None: no Principal element (identity policies)
    principal_negated: bool  # NotPrincipal
    actions: tuple[_Glob, ...]
    actions_negated: bool  # NotAction
    resources: tuple[_ResourcePattern, ...]
    resources_negated: bool  # NotResource
    conditions: tuple[Condition, ...]
    # False for a key-policy statement without Action or Resource: KMS accepts such a
    # policy but the statement never applies [KMS DG: key-policy-overview; PutKeyPolicy].
    effective: bool = True


@dataclass(frozen=True)
class Policy:
    statements: tuple[Statement, ...]
    raw: str
    kind: PolicyKind = "key"
    version: str | None = None
    id: str | None = None


_VERSIONS = ("2012-10-17", "2008-10-17")
_TOP_LEVEL = {"Version", "Id", "Statement"}
_STATEMENT_ELEMENTS = {
    "Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction",
    "Resource", "NotResource", "Condition",
}  # fmt: skip
_ACTION = re.compile(r"^[A-Za-z0-9-]+:[A-Za-z0-9*?]*$")


def parse_policy(
    document: str,
    *,
    kind: PolicyKind = "key",
    allow_unknown_principals: bool = True,
    principal_exists: Callable[[str], bool] | None = None,
) -> Policy:
    """Parse and validate a policy document.

    ``kind="key"``: every statement needs ``Principal`` or ``NotPrincipal``; a statement
    without Action or Resource is accepted but never applies. ``kind="identity"``:
    ``Principal`` is forbidden and Action/Resource are required.

    Principal existence: AWS rejects key policies naming principals that do not exist
    [KMS PutKeyPolicy]. With ``allow_unknown_principals=False`` each user/role/session ARN
    is passed to ``principal_exists`` and a False answer raises "invalid principals".
    Syntactically invalid principals are always rejected.
    """
    if not allow_unknown_principals and principal_exists is None:
        raise ValueError("allow_unknown_principals=False needs a principal_exists callback")
    checker = None if allow_unknown_principals else principal_exists

    try:
        data = json.loads(document)
    except (TypeError, ValueError, RecursionError):
        raise _malformed(MSG_KEY_POLICY_NOT_JSON if kind == "key" else MSG_NOT_JSON) from None
    if not isinstance(data, dict):
        raise _malformed(MSG_NOT_OBJECT)
    unknown = set(data) - _TOP_LEVEL
    if unknown:
        raise _malformed(f"The policy document contains an unsupported element: {sorted(unknown)[0]}.")  # guess
    version = data.get("Version")
    if version is not None and version not in _VERSIONS:
        raise _malformed(f"The policy document has an unsupported Version: {version}.")  # guess
    if "Id" in data and not isinstance(data["Id"], str):
        raise _malformed("The policy document has an invalid Id.")  # guess
    if "Statement" not in data:
        raise _malformed(MSG_NO_STATEMENT)
    raw_statements = data["Statement"]
    if isinstance(raw_statements, dict):
        raw_statements = [raw_statements]
    if not isinstance(raw_statements, list):
        raise _malformed(MSG_BAD_STATEMENT)
    # Policy variables exist only in Version 2012-10-17; in older policies "${...}" is
    # plain text [IAM UG: reference_policies_variables].
    variables = version == "2012-10-17"
    statements = tuple(_parse_statement(s, kind, variables, checker) for s in raw_statements)
    return Policy(statements, document, kind, version, data.get("Id"))


def _string_list(value: Any, element: str) -> list[str]:
    items = value if isinstance(value, list) else [value]
    if not items or not all(isinstance(i, str) and i for i in items):
        raise _malformed(f"Policy contains a statement with an invalid {element} element.")  # guess
    return items


def _exclusive(raw: dict, a: str, b: str) -> tuple[Any, bool] | None:
    """The value of whichever of ``a``/``b`` is present, and whether it was ``b`` (the
    Not- form). Both at once is an error [IAM UG: policy grammar]."""
    if a in raw and b in raw:
        raise _malformed(f"Policy contains a statement with both {a} and {b}.")  # guess
    if a in raw:
        return raw[a], False
    if b in raw:
        return raw[b], True
    return None


def _parse_statement(
    raw: Any, kind: PolicyKind, variables: bool, principal_exists: Callable[[str], bool] | None
) -> Statement:
    if not isinstance(raw, dict):
        raise _malformed(MSG_BAD_STATEMENT)
    unknown = set(raw) - _STATEMENT_ELEMENTS
    if unknown:
        raise _malformed(f"Policy contains a statement with an unsupported element: {sorted(unknown)[0]}.")  # guess
    sid = raw.get("Sid")
    if sid is not None and not isinstance(sid, str):
        raise _malformed("Policy contains a statement with an invalid Sid.")  # guess
    effect = raw.get("Effect")
    if effect is None:
        raise _malformed("Policy contains a statement with no Effect.")  # guess
    if effect not in ("Allow", "Deny"):
        raise _malformed(f"Policy contains a statement with an invalid Effect: {effect}.")  # guess

    principal_part = _exclusive(raw, "Principal", "NotPrincipal")
    if kind == "identity":
        if principal_part is not None:
            raise _malformed(MSG_IDENTITY_WITH_PRINCIPAL)
        principal, principal_negated = None, False
    else:
        if principal_part is None:
            raise _malformed(MSG_NO_PRINCIPAL)
        principal = _parse_principal(principal_part[0], principal_exists)
        principal_negated = principal_part[1]

    effective = True
    action_part = _exclusive(raw, "Action", "NotAction")
    actions: tuple[_Glob, ...] = ()
    actions_negated = False
    if action_part is None:
        if kind == "identity":
            raise _malformed("Policy contains a statement with no Action.")  # guess
        effective = False
    else:
        names = _string_list(action_part[0], "Action")
        if any(name != "*" and not _ACTION.match(name) for name in names):
            raise _malformed("Policy contains a statement with one or more invalid actions.")  # guess
        # Actions are case-insensitive [IAM UG: Action].
        actions = tuple(_Glob.compile(name, ignore_case=True) for name in names)
        actions_negated = action_part[1]

    resource_part = _exclusive(raw, "Resource", "NotResource")
    resources: tuple[_ResourcePattern, ...] = ()
    resources_negated = False
    if resource_part is None:
        if kind == "identity":
            raise _malformed("Policy contains a statement with no Resource.")  # guess
        effective = False
    else:
        resources = tuple(
            _ResourcePattern(None, template) if (template := _parse_template(r, variables)) else
            _ResourcePattern(_Glob.compile(r))
            for r in _string_list(resource_part[0], "Resource")
        )  # fmt: skip
        resources_negated = resource_part[1]

    conditions = _parse_conditions(raw.get("Condition"), kind, variables)
    return Statement(
        sid, effect, principal, principal_negated, actions, actions_negated,
        resources, resources_negated, conditions, effective,
    )  # fmt: skip


def _bad_condition(detail: str) -> MalformedPolicyDocumentException:
    return _malformed(f"Policy contains a statement with an invalid Condition: {detail}.")  # guess


def _parse_conditions(raw: Any, kind: PolicyKind, variables: bool) -> tuple[Condition, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        raise _bad_condition("the Condition element must be an object")
    conditions = []
    for operator, entries in raw.items():
        if not isinstance(operator, str) or not isinstance(entries, dict) or not entries:
            raise _bad_condition(f"{operator} must map condition keys to values")
        set_operator, base_name, if_exists = _split_operator(operator)
        for key, values in entries.items():
            _check_single_valued(kind, set_operator, key)
            items = values if isinstance(values, list) else [values]
            if not items or not all(isinstance(v, (str, bool, int, float)) for v in items):
                raise _bad_condition(f"invalid value for {key}")
            conditions.append(
                _build_condition(operator, set_operator, base_name, if_exists, key, items, variables)
            )
    return tuple(conditions)


def _split_operator(operator: str) -> tuple[SetOperator, str, bool]:
    """'ForAnyValue:StringLikeIfExists' -> ('ForAnyValue', 'StringLike', True)."""
    set_operator: SetOperator = None
    name = operator
    prefix, sep, rest = operator.partition(":")
    if sep:
        lowered = prefix.lower()
        if lowered == "foranyvalue":
            set_operator = "ForAnyValue"
        elif lowered == "forallvalues":
            set_operator = "ForAllValues"
        else:
            raise _bad_condition(f"unknown operator {operator}")
        name = rest
    if_exists = False
    lowered = name.lower()
    if lowered.endswith("ifexists") and lowered != "ifexists":
        if_exists = True
        lowered = lowered[: -len("ifexists")]
    if lowered == "null":
        # Null tests presence itself; IfExists or a set operator make no sense (guess: rejected).
        if if_exists or set_operator:
            raise _bad_condition(f"unknown operator {operator}")
        return None, "Null", False
    if lowered not in _OPERATORS_LOWER:
        raise _bad_condition(f"unknown operator {operator}")
    return set_operator, _OPERATORS_LOWER[lowered][0], if_exists


def _check_single_valued(kind: PolicyKind, set_operator: SetOperator, key: str) -> None:
    """KMS refuses ForAllValues with the single-valued kms:EncryptionContext:<k> and
    aws:RequestTag/<k> keys in the policies it stores [KMS DG: conditions-kms]."""
    if kind != "key" or set_operator != "ForAllValues":
        return
    lowered = key.lower()
    if lowered.startswith("kms:encryptioncontext:"):
        raise _malformed(MSG_OVERLY_PERMISSIVE.format(what="encryption context"))
    if lowered.startswith("aws:requesttag/"):
        raise _malformed(MSG_OVERLY_PERMISSIVE.format(what="tag"))


def _build_condition(
    operator: str,
    set_operator: SetOperator,
    base_name: str,
    if_exists: bool,
    key: str,
    items: list,
    variables: bool,
) -> Condition:
    if base_name == "Null":
        expect = []
        for item in items:
            text = _bool_text(item)
            if text is _INVALID:
                raise _bad_condition(f"Null expects true or false for {key}")
            expect.append(text == "true")
        return Condition(operator, key.lower(), (), None, null_expect_missing=tuple(expect), written_key=key)

    base, negated = _OPERATORS[base_name]
    values = []
    for item in items:
        template = _parse_template(item, variables) if isinstance(item, str) else None
        # JSON numbers and booleans are read like their text ({"Bool": {"k": true}} is
        # the same as "true").
        values.append(_PolicyValue(None, template) if template else _PolicyValue(base.read_policy(item)))
    return Condition(operator, key.lower(), tuple(values), base, negated, if_exists, set_operator, written_key=key)


# --------------------------------------------------------------------------------------
# Evaluation
# --------------------------------------------------------------------------------------


def principal_matches(statement: Statement, ctx: RequestContext) -> PrincipalMatch:
    """How the statement's Principal/NotPrincipal reaches the caller.

    ``"direct"``: the caller is named (its ARN, an alias such as its role, ``"*"``, or the
    caller *is* the account root user named by the account principal). ``"account"``: only
    the caller's account is named -- in a key policy this delegates to IAM policies.
    ``None``: the statement is not about this caller. Statements without a principal
    element (identity policies) are about their own principal: ``"direct"``.

    Note: a statement naming a principal of *another* account is still ``"direct"``;
    cross-account use additionally needs the caller account's IAM policy, which is the
    authorization layer's rule, not the policy language's.
    """
    spec = statement.principal
    if spec is None:
        return "direct"
    if statement.principal_negated:
        return _match_not_principal(spec, ctx)
    return _match_principal(spec, ctx)


# Plain loops rather than any(<generator>): this is the hot path, and loops are faster.


def _matches_action(statement: Statement, action_lower: str) -> bool:
    for glob in statement.actions:
        if glob.matches(action_lower):
            return not statement.actions_negated
    return statement.actions_negated


def _matches_resource(statement: Statement, ctx: RequestContext) -> bool:
    for pattern in statement.resources:
        if pattern.matches(ctx.resource, ctx._values):
            return not statement.resources_negated
    return statement.resources_negated


def statement_applies(statement: Statement, ctx: RequestContext, *, check_principal: bool) -> PrincipalMatch:
    """Whether one statement applies to the request: ``None`` if not, otherwise how the
    principal matched (``"direct"`` when principals are not checked)."""
    if not statement.effective:
        return None
    try:
        if not _matches_action(statement, ctx._action_lower):
            return None
        if not _matches_resource(statement, ctx):
            return None
        how: PrincipalMatch = principal_matches(statement, ctx) if check_principal else "direct"
        if how is None:
            return None
        # All conditions must hold (operators and keys are AND'ed).
        for condition in statement.conditions:
            if not condition_holds(condition, ctx._values):
                return None
        return how
    except _Unresolvable:
        return None


def evaluate(policy: Policy, ctx: RequestContext, *, check_principal: bool | None = None) -> EvaluationResult:
    """Evaluate one policy: DENY if any applicable Deny statement, else ALLOW if any
    applicable Allow statement, else NOT_APPLICABLE.

    ``check_principal`` defaults to True for key policies and False for identity policies
    (which have no Principal element: they apply to the principal they are attached to).
    """
    if check_principal is None:
        check_principal = policy.kind == "key"
    allow_sid: str | None = None
    allowed = False
    allowed_directly = False
    for statement in policy.statements:
        how = statement_applies(statement, ctx, check_principal=check_principal)
        if how is None:
            continue
        if statement.effect == "Deny":
            return EvaluationResult(Decision.DENY, False, statement.sid)
        if not allowed or (how == "direct" and not allowed_directly):
            allow_sid = statement.sid
        allowed = True
        allowed_directly = allowed_directly or how == "direct"
    if allowed:
        return EvaluationResult(Decision.ALLOW, not allowed_directly, allow_sid)
    return EvaluationResult(Decision.NOT_APPLICABLE)


def applicable_statements(
    policy: Policy, ctx: RequestContext, *, check_principal: bool | None = None
) -> list[tuple[Statement, PrincipalMatch]]:
    """Every statement of ``policy`` that applies to the request (the test :func:`evaluate`
    makes), with how its principal matched. For explanations; :func:`evaluate` stays lean."""
    if check_principal is None:
        check_principal = policy.kind == "key"
    found = []
    for statement in policy.statements:
        how = statement_applies(statement, ctx, check_principal=check_principal)
        if how is not None:
            found.append((statement, how))
    return found


def missing_condition_keys(policy: Policy, ctx: RequestContext, *, check_principal: bool | None = None) -> list[str]:
    """Condition keys (as the policy writes them) that a statement about this request tests
    but the request does not have: IAM's ``MissingContextValues``. Only statements whose
    action, resource and principal match count; ``Null`` conditions test absence on purpose."""
    if check_principal is None:
        check_principal = policy.kind == "key"
    missing: list[str] = []
    for statement in policy.statements:
        absent = [
            condition.written_key or condition.key
            for condition in statement.conditions
            if condition.base is not None and not _request_values(ctx._values.get(condition.key))
        ]
        if not absent or not statement.effective:
            continue
        try:
            if not (_matches_action(statement, ctx._action_lower) and _matches_resource(statement, ctx)):
                continue
        except _Unresolvable:
            continue
        if check_principal and principal_matches(statement, ctx) is None:
            continue
        missing.extend(key for key in absent if key not in missing)
    return missing
