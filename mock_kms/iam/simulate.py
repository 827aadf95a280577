"""``kms_mock.iam.simulate``: what the mock would decide about a request, without making it.

    decision = kms_mock.iam.simulate(user, "kms:Decrypt", "alias/app", encryption_context={"tenant": "a"})
    decision.allowed, decision.decision            # False, "implicitDeny"
    decision.matched_statements                    # (MatchedStatement(source="key policy", sid=...), ...)
    decision.missing_context_keys                  # ("kms:EncryptionContext:Department",)
    print(decision)                                # Denied: the key policy allows the account, but ...

The answer comes from the authorizer requests use (``authorize.decide``), given a request
context built the way the wire layer builds one, so a simulation and a real request cannot
disagree. Nothing changes: no call is journaled, no session or key is created.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from mock_kms.api.context import Caller, RequestContext
from mock_kms.core.errors import NotFoundException
from mock_kms.iam.authorize import decide
from mock_kms.iam.decision import AccessDecision
from mock_kms.iam.principals import Principal, Role, RoleSession

if TYPE_CHECKING:
    from mock_kms.core.keys import Key
    from mock_kms.mock import KmsMock

__all__ = ["simulate"]

_ACCOUNT = re.compile(r"^\d{12}$")
_ARN = re.compile(r"^arn:[\w-]+:(iam|sts)::(\d{12}):(.+)$")
# Which request parameter carries the key and the encryption context the action reads.
_KEY_PARAMETER = {"kms:ReEncryptFrom": "SourceKeyId", "kms:ReEncryptTo": "DestinationKeyId"}
_CONTEXT_PARAMETER = {
    "kms:ReEncryptFrom": "SourceEncryptionContext",
    "kms:ReEncryptTo": "DestinationEncryptionContext",
}
# The operations whose KeyId may name an alias (the API Reference's KeyId of each); every other
# key operation answers NotFoundException for an alias, and so does simulate.
_ALIAS_ACCEPTED = frozenset(
    "kms:" + name
    for name in (
        "Encrypt Decrypt ReEncryptFrom ReEncryptTo GenerateDataKey GenerateDataKeyWithoutPlaintext "
        "GenerateDataKeyPair GenerateDataKeyPairWithoutPlaintext DescribeKey GetPublicKey Sign Verify "
        "GenerateMac VerifyMac DeriveSharedSecret Encapsulate Decapsulate"
    ).split()
)
# Authorized on the alias first, then on the key it names (api/aliases.py).
_ALIAS_ACTIONS = frozenset({"kms:CreateAlias", "kms:UpdateAlias", "kms:DeleteAlias"})


def simulate(
    mock: KmsMock,
    principal: Any,
    action: str,
    key: str | None = None,
    *,
    encryption_context: Mapping[str, str] | None = None,
    grant_tokens: Sequence[str] | None = None,
    context: Mapping[str, Any] | None = None,
) -> AccessDecision:
    """Would ``principal`` be allowed ``action`` on ``key``? See :class:`AccessDecision`.

    ``principal``: a principal object (user, role, role session, account root) or an ARN
    (``…:user/Name``, ``…:role/Name``, ``arn:aws:sts::…:assumed-role/Name/session``,
    ``…:root``, or a 12-digit account ID). ``action``: ``"kms:Decrypt"`` (``"Decrypt"`` works
    too). ``key``: key ID, key ARN, alias name or alias ARN; ``None`` for account-level
    actions such as ``kms:CreateKey``. ``encryption_context`` and ``grant_tokens`` are the
    request's; ``context`` gives any other condition keys (``{"aws:SourceIp": "10.0.0.1"}``).

    The key is looked up as a client of the mock's default Region would name it, after the
    transitions that are due (a deletion whose window ended), so a key the request would not find
    raises the request's error (``NotFoundException``), an alias included where the operation
    takes none. For ``kms:CreateAlias`` / ``UpdateAlias`` / ``DeleteAlias`` naming an alias, the
    alias is decided first and then, if it exists, the key it names — as the request does.
    ReEncrypt is simulated as between two different keys; pass
    ``context={"kms:ReEncryptOnSameKey": True}`` for the same key. Naming an AWS managed key's
    alias (``alias/aws/s3``) makes that key, as any reference to it does.
    """
    if action[:4].lower() == "kms:":
        action = "kms:" + action[4:]
    else:
        action = "kms:" + action
    caller = _caller(mock, principal)
    operation = "ReEncrypt" if action in _KEY_PARAMETER else action[4:]
    params: dict[str, Any] = {}
    if encryption_context is not None:
        params[_CONTEXT_PARAMETER.get(action, "EncryptionContext")] = dict(encryption_context)
    if grant_tokens is not None:
        params["GrantTokens"] = list(grant_tokens)
    backend = mock.backend
    with backend.lock:
        backend.run_due_events()  # what the request would do first
        here = backend.region(caller.account, mock.region)
        resolved: Key | None = None
        if key is not None and action in _ALIAS_ACTIONS and _names_alias(key):
            name = key if key.startswith("alias/") else key.split(":", 5)[5]
            params["AliasName"] = name
            ctx = RequestContext(backend, here, operation, params, caller, mock)
            alias = here.aliases.get(name)
            if alias is None and action != "kms:CreateAlias":
                raise NotFoundException(f"Alias {here.alias_arn(name)} is not found.")  # as the request
            on_alias = decide(ctx, action, None, here.alias_arn(name), context=context)
            if not on_alias.allowed or alias is None:  # CreateAlias: its TargetKeyId is not known here
                return on_alias
            resolved = here.keys.get(alias.target_key_id)
            if resolved is None:
                return on_alias
        elif key is not None:
            params[_KEY_PARAMETER.get(action, "KeyId")] = key
            # NotFoundException, as the request would answer.
            resolved = backend.find_key(here, key, allow_alias=action in _ALIAS_ACCEPTED)
        ctx = RequestContext(backend, here, operation, params, caller, mock, key=resolved)
        return decide(ctx, action, resolved, context=context)


def _names_alias(key: str) -> bool:
    return key.startswith("alias/") or (key.startswith("arn:") and ":alias/" in key)


def _caller(mock: KmsMock, principal: Any) -> Caller:
    """The caller a request signed by ``principal`` would be made as."""
    if isinstance(principal, str):
        principal = _principal_for(mock, principal)
    if isinstance(principal, Role):
        principal = principal.sessions.get(Role.DEFAULT_SESSION) or _session(principal, Role.DEFAULT_SESSION)
    if isinstance(principal, Principal):
        return Caller(principal.arn, principal.account, "", principal)
    if isinstance(principal, Caller):
        return principal
    raise TypeError(f"principal must be a principal object or an ARN, not {type(principal).__name__}")


def _principal_for(mock: KmsMock, arn: str) -> Principal | Role | Caller:
    iam = mock.iam
    if _ACCOUNT.match(arn):
        arn = f"arn:{iam.partition}:iam::{arn}:root"
    match = _ARN.match(arn)
    if match is None:
        raise ValueError(f"not a principal ARN: {arn!r}")
    service, account, resource = match.groups()
    if service == "iam" and resource == "root":
        # As a request signed with an access key the mock does not know (no principal object).
        return Caller(arn, account)
    if service == "iam" and resource.startswith("user/"):
        for user in iam.users:
            if user.arn == arn:
                return user
    elif service == "iam" and resource.startswith("role/"):
        for role in iam.roles:
            if role.arn == arn:
                return role
    elif service == "sts" and resource.startswith("assumed-role/"):
        _, role_name, session_name = (resource.split("/", 2) + [""])[:3]
        for role in iam.roles:
            if role.account == account and role.name == role_name:
                return role.sessions.get(session_name) or _session(role, session_name)
    raise ValueError(f"no principal {arn} is registered with kms_mock.iam")


def _session(role: Role, name: str) -> RoleSession:
    """A session of ``role`` that is not registered (simulating creates nothing)."""
    return RoleSession(
        role=role,
        session_name=name,
        account=role.account,
        arn=f"arn:{role._registry.partition}:sts::{role.account}:assumed-role/{role.name}/{name}",
        access_key_id="",
        secret_access_key="",
        session_token=None,
        _registry=role._registry,
    )
