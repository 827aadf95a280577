"""Grants on KMS keys (kms_spec.md §6.5): the grant record, its constraints, grant tokens,
and the one question authorization asks of grants, :func:`grant_allows`.

A grant lives in ``key.grants`` (GrantId -> :class:`Grant`), so it dies with its key.

Eventual consistency: in AWS a new grant may take up to a few minutes to be effective
everywhere unless the caller presents its grant token [M-doc:CreateGrant]. In the mock a
grant is effective (and a retired or revoked grant gone) immediately, token or not; tokens
are still checked for validity wherever AWS accepts them.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from mock_kms.core.errors import InvalidGrantTokenException
from mock_kms.core.specs import (
    ENCAPSULATE_DECAPSULATE,
    ENCRYPT_DECRYPT,
    GENERATE_VERIFY_MAC,
    KEY_AGREEMENT,
    SIGN_VERIFY,
)

if TYPE_CHECKING:
    from mock_kms.core.backend import Backend
    from mock_kms.core.keys import Key

# -- grant operations per key type ([DG23:grants "Grants for symmetric and asymmetric CMKs"],
# [M-doc:CreateGrant.Operations]) -------------------------------------------------------

# Operations every key's grants may allow.
MANAGEMENT_OPERATIONS = frozenset({"CreateGrant", "RetireGrant", "DescribeKey"})
# Grant operations whose request takes an EncryptionContext (symmetric encryption keys only).
ENCRYPTION_CONTEXT_OPERATIONS = frozenset(
    {
        "Decrypt",
        "Encrypt",
        "GenerateDataKey",
        "GenerateDataKeyWithoutPlaintext",
        "GenerateDataKeyPair",
        "GenerateDataKeyPairWithoutPlaintext",
        "ReEncryptFrom",
        "ReEncryptTo",
    }
)
_ASYMMETRIC_ENCRYPTION = frozenset({"Encrypt", "Decrypt", "ReEncryptFrom", "ReEncryptTo", "GetPublicKey"})
_BY_USAGE: dict[str, frozenset[str]] = {
    SIGN_VERIFY: frozenset({"Sign", "Verify", "GetPublicKey"}),
    GENERATE_VERIFY_MAC: frozenset({"GenerateMac", "VerifyMac"}),
    KEY_AGREEMENT: frozenset({"DeriveSharedSecret", "GetPublicKey"}),
    ENCAPSULATE_DECAPSULATE: frozenset({"Encapsulate", "Decapsulate", "GetPublicKey"}),
}

GRANT_ID_RE = re.compile(r"^[0-9a-f]{64}$")  # "A grant ID is a 64 character unique identifier"


def operations_for_key(key: Key) -> frozenset[str]:
    """The grant operations a grant on ``key`` may allow."""
    if key.key_usage == ENCRYPT_DECRYPT:
        crypto = ENCRYPTION_CONTEXT_OPERATIONS if key.spec.is_symmetric else _ASYMMETRIC_ENCRYPTION
    else:
        crypto = _BY_USAGE.get(key.key_usage, frozenset())
    return crypto | MANAGEMENT_OPERATIONS


def accepts_encryption_context_constraint(operation: str) -> bool:
    """May a grant with an encryption-context constraint include ``operation``?

    The constraint applies to the operations that take an encryption context; DescribeKey
    and RetireGrant are allowed but unconstrained, and CreateGrant passes the constraint
    on to the grants it creates [M-doc:CreateGrant.Constraints].
    """
    return operation in ENCRYPTION_CONTEXT_OPERATIONS or operation in MANAGEMENT_OPERATIONS


# -- constraints ------------------------------------------------------------------------

# In a grant constraint "the key in each key-value pair is not case sensitive, but the value
# is case sensitive" — botocore 1.44 GrantConstraints documentation (= the current API
# Reference page API_GrantConstraints). The 2019-2023 Developer Guide said "exact,
# case-sensitive match"; the current API text wins.


def _values_for(context: Mapping[str, str], key: str) -> list[str]:
    folded = key.lower()
    return [value for name, value in context.items() if name.lower() == folded]


def _includes(context: Mapping[str, str], pairs: Mapping[str, str]) -> bool:
    """Every pair of ``pairs`` is in ``context`` (keys case-insensitive, values exact)."""
    return all(value in _values_for(context, name) for name, value in pairs.items())


def context_includes(context: Mapping[str, str] | None, pairs: Mapping[str, str]) -> bool:
    return _includes(context or {}, pairs)


def context_equals(context: Mapping[str, str] | None, pairs: Mapping[str, str]) -> bool:
    context = context or {}
    return _includes(context, pairs) and _includes(pairs, context)


@dataclass(frozen=True)
class GrantConstraints:
    """``GrantConstraints``: encryption-context constraints and SourceArn."""

    encryption_context_equals: dict[str, str] | None = None
    encryption_context_subset: dict[str, str] | None = None
    source_arn: str | None = None

    @classmethod
    def from_params(cls, raw: Mapping[str, Any] | None) -> GrantConstraints | None:
        if not raw:
            return None
        equals = raw.get("EncryptionContextEquals")
        subset = raw.get("EncryptionContextSubset")
        source_arn = raw.get("SourceArn")
        if equals is None and subset is None and source_arn is None:
            return None
        return cls(
            dict(equals) if equals is not None else None,
            dict(subset) if subset is not None else None,
            source_arn,
        )

    @property
    def has_encryption_context(self) -> bool:
        return self.encryption_context_equals is not None or self.encryption_context_subset is not None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        if self.encryption_context_subset is not None:
            data["EncryptionContextSubset"] = dict(self.encryption_context_subset)
        if self.encryption_context_equals is not None:
            data["EncryptionContextEquals"] = dict(self.encryption_context_equals)
        if self.source_arn is not None:
            data["SourceArn"] = self.source_arn
        return data

    def allows(self, operation: str, context: Mapping[str, str] | None, source_arn: str | None = None) -> bool:
        """Do the constraints let a request for ``operation`` through?"""
        if operation == "RetireGrant":
            return True  # neither constraint kind applies to RetireGrant [M-doc:GrantConstraints]
        if self.source_arn is not None and self.source_arn != source_arn:
            # Requests to the mock are never made "on behalf of" an AWS resource
            # (aws:SourceArn), so a SourceArn-constrained grant never applies here.
            return False
        if operation not in ENCRYPTION_CONTEXT_OPERATIONS:
            return True  # DescribeKey; CreateGrant is checked against the child grant instead
        if self.encryption_context_equals is not None and not context_equals(context, self.encryption_context_equals):
            return False
        if self.encryption_context_subset is not None and not context_includes(context, self.encryption_context_subset):
            return False
        return True


def constraints_at_least_as_strict(child: GrantConstraints | None, parent: GrantConstraints | None) -> bool:
    """May a grant with ``child`` constraints be created through a grant with ``parent``'s?

    "The child grant can add pairs to an EncryptionContextSubset constraint in the parent
    grant, but it cannot remove them. The child grant can change an EncryptionContextSubset
    constraint to an EncryptionContextEquals constraint, but not the reverse."
    [DG23:create-grant-overview]
    """
    if parent is None:
        return True
    if child is None:
        return False
    if parent.source_arn is not None and child.source_arn != parent.source_arn:
        return False
    if parent.encryption_context_equals is not None:
        equals = child.encryption_context_equals
        if equals is None or not context_equals(equals, parent.encryption_context_equals):
            return False
    if parent.encryption_context_subset is not None:
        required = parent.encryption_context_subset
        in_equals = child.encryption_context_equals is not None and _includes(child.encryption_context_equals, required)
        in_subset = child.encryption_context_subset is not None and _includes(child.encryption_context_subset, required)
        if not (in_equals or in_subset):
            return False
    return True


# -- the grant --------------------------------------------------------------------------


def new_grant_id() -> str:
    return os.urandom(32).hex()


@dataclass(eq=False)
class Grant:
    """One grant on one key (the fields of ``GrantListEntry``) plus its token nonces."""

    key_id: str
    key_arn: str
    grant_id: str
    creation_date: datetime
    issuing_account: str  # arn:<partition>:iam::<account>:root
    operations: tuple[str, ...]
    grantee_principal: str | None = None
    retiring_principal: str | None = None
    name: str | None = None
    constraints: GrantConstraints | None = None
    grantee_service_principal: str | None = None
    retiring_service_principal: str | None = None
    # Nonces of the grant tokens issued for this grant (one per CreateGrant call; a retried
    # CreateGrant with the same Name returns a new token for the same grant).
    tokens: list[str] = field(default_factory=list)

    @property
    def issuing_account_id(self) -> str:
        return self.issuing_account.split(":")[4]

    def list_entry(self) -> dict[str, Any]:
        """``GrantListEntry``. Absent members (no Name, no RetiringPrincipal…) are omitted,
        as in the API Reference's ListGrants example."""
        entry: dict[str, Any] = {"KeyId": self.key_arn, "GrantId": self.grant_id}
        if self.name is not None:
            entry["Name"] = self.name
        entry["CreationDate"] = self.creation_date
        if self.grantee_principal is not None:
            entry["GranteePrincipal"] = self.grantee_principal
        if self.retiring_principal is not None:
            entry["RetiringPrincipal"] = self.retiring_principal
        entry["IssuingAccount"] = self.issuing_account
        entry["Operations"] = list(self.operations)
        if self.constraints is not None:
            entry["Constraints"] = self.constraints.to_dict()
        if self.grantee_service_principal is not None:
            entry["GranteeServicePrincipal"] = self.grantee_service_principal
        if self.retiring_service_principal is not None:
            entry["RetiringServicePrincipal"] = self.retiring_service_principal
        return entry

    def same_request(
        self,
        *,
        name: str | None,
        grantee_principal: str | None,
        grantee_service_principal: str | None,
        retiring_principal: str | None,
        retiring_service_principal: str | None,
        operations: Sequence[str],
        constraints: GrantConstraints | None,
    ) -> bool:
        """Is a CreateGrant with these parameters a retry that created this grant?"""
        return (
            self.name == name
            and self.grantee_principal == grantee_principal
            and self.grantee_service_principal == grantee_service_principal
            and self.retiring_principal == retiring_principal
            and self.retiring_service_principal == retiring_service_principal
            and sorted(self.operations) == sorted(operations)
            and self.constraints == constraints
        )


# -- principals -------------------------------------------------------------------------

_ASSUMED_ROLE = re.compile(r"^arn:([\w-]+):sts::(\d{12}):assumed-role/([^/]+)/[^/]+$")
_ROLE = re.compile(r"^arn:([\w-]+):iam::(\d{12}):role/(?:.*/)?([^/]+)$")


def principal_matches(principal: str | None, caller: Any) -> bool:
    """Is the request's caller the principal a grant names?

    Exact ARN match; an assumed-role session (``arn:aws:sts::A:assumed-role/R/S``) also
    matches its role's ARN (``arn:aws:iam::A:role/[path/]R``). An account principal matches
    only that account's root user.
    """
    if not principal:
        return False
    arn = caller.arn
    if principal == arn:
        return True
    if principal in (getattr(caller.principal, "aliases", None) or ()):
        return True
    if principal.isdigit() and arn == f"arn:{arn.split(':')[1]}:iam::{principal}:root":
        return True
    session = _ASSUMED_ROLE.match(arn)
    role = _ROLE.match(principal)
    if session and role:
        return session.groups() == role.groups()
    return False


# -- the authorization question ---------------------------------------------------------


@dataclass(frozen=True)
class ChildGrant:
    """The grant a CreateGrant request asks for (for the rules on grants made through grants)."""

    operations: tuple[str, ...]
    constraints: GrantConstraints | None


_CHILD_GRANT: ContextVar[ChildGrant | None] = ContextVar("mock_kms_child_grant", default=None)


@contextmanager
def creating_grant(operations: Sequence[str], constraints: GrantConstraints | None) -> Iterator[None]:
    """While authorizing a CreateGrant, tell :func:`grant_allows` which grant is being created.

    A principal whose CreateGrant permission comes from a grant may only create grants whose
    operations are a subset of that grant's and whose constraints are at least as strict
    [DG23:create-grant-overview]. The authorization interface carries no request parameters,
    so the CreateGrant handler publishes them here for the duration of the check.
    """
    token = _CHILD_GRANT.set(ChildGrant(tuple(operations), constraints))
    try:
        yield
    finally:
        _CHILD_GRANT.reset(token)


def grant_allows(
    key: Key,
    caller: Any,
    operation: str,
    encryption_context: Mapping[str, str] | None,
    grant_tokens: Sequence[str] | None,
    now: datetime | None,
) -> bool:
    """Does a grant on ``key`` let ``caller`` perform the grant operation ``operation``?
    (:func:`allowing_grant` says which.)"""
    return allowing_grant(key, caller, operation, encryption_context, grant_tokens, now) is not None


def allowing_grant(
    key: Key,
    caller: Any,
    operation: str,
    encryption_context: Mapping[str, str] | None,
    grant_tokens: Sequence[str] | None,
    now: datetime | None,
) -> Grant | None:
    """The first grant on ``key`` that lets ``caller`` perform the grant operation ``operation``.

    ``operation`` is a grant operation name (``Decrypt``, ``ReEncryptFrom``, ``CreateGrant``,
    ``DescribeKey``...). ``encryption_context`` is the request's context for that operation
    (for ReEncryptFrom the source context, for ReEncryptTo the destination context).
    ``grant_tokens`` are accepted and ignored: grants are effective at once in the mock, so
    a token adds nothing (their validity is checked when the request arrives). Grants do not
    expire, so ``now`` is unused.
    """
    child = _CHILD_GRANT.get() if operation == "CreateGrant" else None
    for grant in key.grants.values():
        if operation not in grant.operations or not principal_matches(grant.grantee_principal, caller):
            continue
        constraints = grant.constraints
        if constraints is not None and not constraints.allows(operation, encryption_context):
            continue
        if child is not None:
            if not set(child.operations) <= set(grant.operations):
                continue
            if not constraints_at_least_as_strict(child.constraints, constraints):
                continue
        return grant
    return None


# -- grant tokens -----------------------------------------------------------------------
#
# A token is base64url(JSON) naming the grant (account, region, key id, grant id) and a
# random nonce. It is only valid in the mock state that issued it: the nonce must be one
# this backend recorded (a token from another mock, or a forged one, is rejected).

_TOKEN_REGISTRY = "grant_tokens"  # Backend.extras slot: nonce -> (account, region, key_id, grant_id)


@dataclass(frozen=True)
class TokenRef:
    account: str
    region: str
    key_id: str
    grant_id: str
    nonce: str


def _registry(backend: Backend) -> dict[str, tuple[str, str, str, str]]:
    return backend.extras.setdefault(_TOKEN_REGISTRY, {})


def issue_token(backend: Backend, key: Key, grant: Grant) -> str:
    nonce = os.urandom(16).hex()
    grant.tokens.append(nonce)
    _registry(backend)[nonce] = (key.account, key.region, key.key_id, grant.grant_id)
    payload = {"v": 1, "a": key.account, "r": key.region, "k": key.key_id, "g": grant.grant_id, "n": nonce}
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _invalid_token() -> InvalidGrantTokenException:
    # AWS's text for InvalidGrantTokenException is unrecorded (kms_spec.md §5.2).
    return InvalidGrantTokenException("The grant token is not valid.")


def _decode(token: str) -> TokenRef | None:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        data = json.loads(raw)
        if not isinstance(data, dict) or data.get("v") != 1:
            return None
        fields = [data[name] for name in ("a", "r", "k", "g", "n")]
    except (ValueError, binascii.Error, KeyError, TypeError, UnicodeDecodeError):
        return None
    if not all(isinstance(value, str) for value in fields):
        return None
    return TokenRef(*fields)


def find_key_of(backend: Backend, account: str, region: str, key_id: str) -> Key | None:
    for here in backend.regions():
        if here.account == account and here.region == region:
            return here.keys.get(key_id)
    return None


def resolve_token(backend: Backend, token: str) -> tuple[TokenRef, Key | None, Grant | None]:
    """Check a grant token issued by this mock state; return it with its key and grant.

    Raises InvalidGrantTokenException for a token this state never issued. For a token of
    a grant that was since retired or revoked (or whose key was deleted) the key and/or grant
    are None.
    """
    ref = _decode(token) if isinstance(token, str) else None
    if ref is None:
        raise _invalid_token()
    key = find_key_of(backend, ref.account, ref.region, ref.key_id)
    grant = key.grants.get(ref.grant_id) if key is not None else None
    if grant is not None and ref.nonce in grant.tokens:
        return ref, key, grant
    if _registry(backend).get(ref.nonce) != (ref.account, ref.region, ref.key_id, ref.grant_id):
        raise _invalid_token()
    return ref, key, None


def check_grant_tokens(backend: Backend, tokens: Sequence[str] | None) -> None:
    """Reject a request whose GrantTokens include one this mock state did not issue."""
    for token in tokens or ():
        resolve_token(backend, token)
