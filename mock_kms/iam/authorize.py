"""Authorization of one request: key policy + the caller's identity policies + grants.

``authorize(ctx, action, key=None, resource=None)`` is called by every handler before it
acts (``ctx.use_key`` does it for the key it resolves). It returns, or raises
``AccessDeniedException`` with AWS's message. The rules [kms_spec.md §6.1, §6.4]:

* An explicit ``Deny`` in any identity policy or in the key policy wins (over grants too).
* Operations on a key (resource = key ARN): the key policy must allow the caller directly,
  or allow the caller's **account principal**, which delegates to the caller's identity
  policies (they must then allow it too). A grant for the caller also allows.
* Account-level operations (resource ``*``) and the alias half of alias operations
  (resource = alias ARN) are authorized by identity policies alone.
* The root user of an account needs no identity policy (it has every IAM permission in its
  own account); the key policy still decides (a key whose policy does not name the account
  locks out even the root user).
* Cross-account use (caller's account != key's account) needs the key policy to allow the
  caller or its account **and** the caller's identity policies to allow the action, and
  works only for the operations AWS allows across accounts (§6.4). For the others AWS
  says the permission "has no effect": the mock answers AccessDenied with the
  "no resource-based policy" text (decision; AWS's exact answer is unrecorded).

Fast path: a root caller of the key's own account, with the key's default key policy,
is allowed without building any evaluation context (this is every plain test).

``decide`` runs the same evaluation with a trace and returns the decision explained
(``iam/decision.py``): the policy simulator uses it, and a denial attaches it to the
AccessDeniedException (``error.decision``) for the call record.

``check_new_key_policy`` (installed as the backend hook of CreateKey/PutKeyPolicy, and
callable by ReplicateKey) validates a new key policy and applies the lockout safety check.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from mock_kms.core.errors import AccessDeniedException, MalformedPolicyDocumentException
from mock_kms.core.grants import allowing_grant
from mock_kms.core.keys import default_key_policy, partition_for
from mock_kms.iam.conditions import condition_values
from mock_kms.iam.principals import needs_values

if TYPE_CHECKING:
    from mock_kms.api.context import RequestContext
    from mock_kms.core.keys import Key
    from mock_kms.iam.decision import AccessDecision, Trace
    from mock_kms.iam.policy import Policy
    from mock_kms.mock import KmsMock

# The policy engine (mock_kms/iam/policy.py) is imported when a request first needs it: a
# root caller with the default key policy (the fast path below) never does.

__all__ = [
    "CROSS_ACCOUNT_ACTIONS",
    "GRANT_OPERATIONS",
    "LOCKOUT_MESSAGE",
    "authorize",
    "check_new_key_policy",
    "decide",
    "install",
    "would_allow",
]

# Operations a grant can allow (the GrantOperation enum) [M].
GRANT_OPERATIONS = frozenset({
    "Decrypt", "Encrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext", "ReEncryptFrom",
    "ReEncryptTo", "Sign", "Verify", "GetPublicKey", "CreateGrant", "RetireGrant", "DescribeKey",
    "GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext", "GenerateMac", "VerifyMac",
    "DeriveSharedSecret", "Encapsulate", "Decapsulate",
})  # fmt: skip

# Actions whose permission is effective across accounts [DG23: key-policy-modifying-external-accounts;
# M-doc "Cross-account use: Yes"].
CROSS_ACCOUNT_ACTIONS = frozenset({
    "kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:GenerateDataKey",
    "kms:GenerateDataKeyWithoutPlaintext", "kms:GenerateDataKeyPair",
    "kms:GenerateDataKeyPairWithoutPlaintext", "kms:Sign", "kms:Verify", "kms:GenerateMac",
    "kms:VerifyMac", "kms:DeriveSharedSecret", "kms:CreateGrant", "kms:DescribeKey",
    "kms:GetKeyRotationStatus", "kms:GetPublicKey", "kms:ListGrants", "kms:RetireGrant",
    "kms:RevokeGrant",
    "kms:Encapsulate", "kms:Decapsulate",  # "Cross-account use: Yes" [M-doc:Encapsulate, Decapsulate]
})  # fmt: skip

# [kms_spec.md §5: MalformedPolicyDocumentException, recorded]
LOCKOUT_MESSAGE = "The new key policy will not allow you to update the key policy in the future."

# AWS's AccessDeniedException texts [kms_spec.md §1, §6.1; GH issues quoting real responses].
NO_IDENTITY_ALLOW = "because no identity-based policy allows the {action} action"
NO_RESOURCE_ALLOW = "because no resource-based policy allows the {action} action"
IDENTITY_DENY = "with an explicit deny in an identity-based policy"
RESOURCE_DENY = "with an explicit deny in a resource-based policy"


# Another account's key that the key policy does not open to the caller (or denies): AWS names
# "this resource" [kms_spec.md §5.2, another account's key named by ARN, 2025–2026 reports].
CROSS_ACCOUNT_UNREACHABLE = (
    "because the resource does not exist in this Region, no resource-based policies allow access, "
    "or a resource-based policy explicitly denies access"
)


def _denied(ctx: RequestContext, action: str, resource: str, reason: str) -> AccessDeniedException:
    # A resource-based reason means the resource is a key ARN (arn:aws:kms:<region>:<account>:key/…).
    if reason in (NO_RESOURCE_ALLOW, RESOURCE_DENY) and resource.split(":")[4] != ctx.caller.account:
        return AccessDeniedException(
            f"User: {ctx.caller.arn} is not authorized to perform: {action} on this resource {CROSS_ACCOUNT_UNREACHABLE}"
        )
    return AccessDeniedException(
        f"User: {ctx.caller.arn} is not authorized to perform: {action} on resource: {resource} "
        + reason.format(action=action)
    )


# -- parsed key policies ------------------------------------------------------------------

_PARSED: dict[str, tuple[Policy | None, bool]] = {}
_PARSED_LIMIT = 2048
_DEFAULT_POLICIES: dict[tuple[str, str], str] = {}


def parsed_key_policy(text: str) -> tuple[Policy | None, bool]:
    """(policy, needs condition values) for a key policy text, parsed once per text.

    Policies are immutable, so one cache serves every mock. A stored policy that does not
    parse (only possible if state was edited by hand) allows nothing.
    """
    cached = _PARSED.get(text)
    if cached is None:
        from mock_kms.iam.policy import parse_policy

        try:
            policy: Policy | None = parse_policy(text, kind="key")
        except MalformedPolicyDocumentException:
            policy = None
        cached = _remember(text, policy)
    return cached


def _remember(text: str, policy: Policy | None) -> tuple[Policy | None, bool]:
    cached = (policy, policy is not None and needs_values(policy))
    if len(_PARSED) >= _PARSED_LIMIT:
        _PARSED.clear()
    _PARSED[text] = cached
    return cached


def _is_default_policy(key: Key) -> bool:
    marker = (key.account, key.region)
    text = _DEFAULT_POLICIES.get(marker)
    if text is None:
        text = _DEFAULT_POLICIES[marker] = default_key_policy(key.account, partition_for(key.region))
    return key.policy == text


# -- the decision -------------------------------------------------------------------------


def _is_root(principal: Any) -> bool:
    return principal is None or principal.principal_type == "Account"


def _grant_allows(ctx: RequestContext, action: str, key: Key, trace: Trace | None = None) -> bool:
    operation = action[4:]
    if trace is not None:
        trace.grant_operation = operation in GRANT_OPERATIONS
    if operation not in GRANT_OPERATIONS or not key.grants:
        return False
    params = ctx.params
    if action == "kms:ReEncryptFrom":
        context = params.get("SourceEncryptionContext")
    elif action == "kms:ReEncryptTo":
        context = params.get("DestinationEncryptionContext")
    else:
        context = params.get("EncryptionContext")
    grant = allowing_grant(key, ctx.caller, operation, context, params.get("GrantTokens"), ctx.now())
    if trace is not None:
        trace.grant_result(grant)
    return grant is not None


def _denial(
    ctx: RequestContext,
    action: str,
    key: Key | None,
    resource: str,
    policy_text: str | None,
    trace: Trace | None = None,
) -> str | None:
    """Why the request is denied (one of the reason templates), or None when allowed.

    With a ``trace``, also notes what decided it (for :func:`decide`); requests pass none.
    """
    from mock_kms.iam.policy import Decision, evaluate
    from mock_kms.iam.policy import RequestContext as PolicyRequest

    caller = ctx.caller
    principal = caller.principal
    root = _is_root(principal)

    key_policy: Policy | None = None
    needs = False
    if key is not None:
        key_policy, needs = parsed_key_policy(policy_text if policy_text is not None else key.policy)
    identity = () if root else principal.identity_policies()
    if not needs:
        needs = any(policy.needs_values for policy in identity)
    values = condition_values(ctx, action, key, resource) if needs else {}
    if trace is not None and trace.context:
        values = {**values, **trace.context}
    aliases = principal.aliases if principal is not None else ()
    request = PolicyRequest(action, resource, caller.arn, caller.account, aliases, values)

    identity_allows = root
    for policy in identity:
        evaluated = evaluate(policy.parsed, request)
        if trace is not None:
            trace.identity_policy(policy, request, evaluated)
        if evaluated.decision is Decision.DENY:
            return IDENTITY_DENY
        if evaluated.decision is Decision.ALLOW:
            identity_allows = True

    if key is None:
        return None if identity_allows else NO_IDENTITY_ALLOW

    if "kms:ResourceAliases" in values:
        # kms:ResourceAliases is a condition key for IAM policies only [DG23: conditions-kms]:
        # in a key policy it is never present.
        values = {name: value for name, value in values.items() if name != "kms:ResourceAliases"}
        request = PolicyRequest(action, resource, caller.arn, caller.account, aliases, values)
    result = evaluate(key_policy, request) if key_policy is not None else None
    if trace is not None:
        trace.key_policy_result(key_policy, request, result)
    if result is not None and result.decision is Decision.DENY:
        return RESOURCE_DENY
    key_allows = result is not None and result.decision is Decision.ALLOW
    cross_account = caller.account != key.account
    if cross_account and action not in CROSS_ACCOUNT_ACTIONS:
        if trace is not None:
            trace.cross_account_blocked = True
        return NO_RESOURCE_ALLOW
    if key_allows:
        if identity_allows:
            return None
        # Same account: a statement naming the caller itself needs no identity policy.
        if not cross_account and not result.matched_account_principal_only:
            return None
    if policy_text is None and _grant_allows(ctx, action, key, trace):
        return None
    return NO_IDENTITY_ALLOW if key_allows else NO_RESOURCE_ALLOW


def authorize(ctx: RequestContext, action: str, key: Key | None = None, resource: str | None = None) -> None:
    """Raise AccessDeniedException unless the caller may perform ``action``.

    ``key``: the KMS key the action is on (resource = its ARN). Otherwise ``resource`` is
    the alias ARN (alias operations) or ``"*"`` (account-level operations).
    """
    if action == "kms:ReEncryptFrom":
        ctx.extras["reencrypt_source"] = key  # for kms:ReEncryptOnSameKey
    caller = ctx.caller
    if key is not None:
        resource = key.arn
        principal = caller.principal
        if (principal is None or principal.principal_type == "Account") and key.account == caller.account:
            # Fast path: the account's root and the default key policy (_is_default_policy inlined).
            text = _DEFAULT_POLICIES.get((key.account, key.region))
            if text is not None and key.policy == text or text is None and _is_default_policy(key):
                return
    elif resource is None:
        resource = "*"
    if key is None and _is_root(caller.principal):
        return  # the root user has every identity-based permission in its own account
    reason = _denial(ctx, action, key, resource, None)
    if reason is not None:
        error = _denied(ctx, action, resource, reason)
        # Decided once more, with a trace, for the call record (denials are the rare path).
        error.decision = decide(ctx, action, key, resource)  # type: ignore[attr-defined]
        raise error


def decide(
    ctx: RequestContext,
    action: str,
    key: Key | None = None,
    resource: str | None = None,
    *,
    context: Mapping[str, Any] | None = None,
) -> AccessDecision:
    """The decision :func:`authorize` makes, explained: which statements and grants applied,
    which condition keys were missing. ``context``: extra condition values (they win over
    the request's). Changes nothing."""
    resource = key.arn if key is not None else resource or "*"
    caller = ctx.caller
    from mock_kms.iam.decision import Trace  # imports the policy engine: only when explaining

    trace = Trace(caller.principal, dict(context or {}))
    reason = _denial(ctx, action, key, resource, None, trace)
    return trace.decision(
        reason,
        principal_arn=caller.arn,
        principal_account=caller.account,
        action=action,
        resource=resource,
        key_account=key.account if key is not None else None,
        explicit_deny=reason in (IDENTITY_DENY, RESOURCE_DENY),
    )


def would_allow(ctx: RequestContext, action: str, key: Key, policy_text: str | None = None) -> bool:
    """Whether the caller could perform ``action`` on ``key`` if its key policy were
    ``policy_text`` (default: its current policy). Grants are not consulted."""
    text = policy_text if policy_text is not None else key.policy
    return _denial(ctx, action, key, key.arn, text) is None


# -- new key policies ---------------------------------------------------------------------


def check_new_key_policy(ctx: RequestContext, key: Key, policy: str, *, bypass: bool | None = None) -> None:
    """Validate a key policy about to be set on ``key`` (CreateKey, PutKeyPolicy,
    ReplicateKey): MalformedPolicyDocumentException for a bad document or for principals
    that do not exist, then the policy lockout safety check unless bypassed.

    Principal existence: in an account where users or roles were registered with
    ``kms_mock.iam``, a user/role/assumed-role ARN that is not registered is invalid (as AWS
    rejects principals it cannot see); principals of other accounts are accepted
    (decision: the mock cannot see real accounts).
    """
    from mock_kms.iam.policy import parse_policy

    registry = ctx.mock.iam if ctx.mock is not None else None
    if registry is not None:
        parsed = parse_policy(
            policy, kind="key", allow_unknown_principals=False, principal_exists=registry.principal_exists
        )
    else:
        parsed = parse_policy(policy, kind="key")
    if policy not in _PARSED:
        _remember(policy, parsed)
    if bypass is None:
        bypass = bool(ctx.params.get("BypassPolicyLockoutSafetyCheck"))
    if bypass:
        return
    # The check: could the caller make a later PutKeyPolicy request on this key?
    # Evaluated as such a request (operation PutKeyPolicy, no bypass parameter).
    probe = dataclasses.replace(
        ctx, operation="PutKeyPolicy", params={"KeyId": key.arn, "PolicyName": "default", "Policy": policy}, extras={}
    )
    if not would_allow(probe, "kms:PutKeyPolicy", key, policy):
        raise MalformedPolicyDocumentException(LOCKOUT_MESSAGE)


def install(mock: KmsMock) -> None:
    """``_ON_RESET`` hook: wire the key policy check into a fresh backend."""
    mock.backend.extras["check_new_key_policy"] = check_new_key_policy
