"""CreateGrant, ListGrants, ListRetirableGrants, RetireGrant, RevokeGrant (kms_spec.md §6.5).

Also :func:`check_request_grant_tokens`, the before-request hook that rejects a request whose
``GrantTokens`` include a token this mock state never issued (every operation with a
``GrantTokens`` member: the cryptographic operations, DescribeKey, GetPublicKey, CreateGrant).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from mock_kms.api.context import RequestContext
from mock_kms.api.pagination import paginate
from mock_kms.api.registry import operation
from mock_kms.core.errors import (
    AccessDeniedException,
    InvalidArnException,
    InvalidGrantIdException,
    LimitExceededException,
    NotFoundException,
    ValidationException,
)
from mock_kms.core.grants import (
    GRANT_ID_RE,
    Grant,
    GrantConstraints,
    accepts_encryption_context_constraint,
    check_grant_tokens,
    creating_grant,
    issue_token,
    new_grant_id,
    operations_for_key,
    principal_matches,
    resolve_token,
)
from mock_kms.core.keys import Key, partition_for
from mock_kms.core.states import check_state

if TYPE_CHECKING:
    from mock_kms.journal import CallRecord
    from mock_kms.mock import KmsMock

DEFAULT_GRANTS_PER_KEY = 50_000
# ListGrants / ListRetirableGrants: "must be between 1 and 100, inclusive ... defaults to 50"
# [M-doc]; the model allows up to 1000, larger values are served as 100 (as ListKeys clamps).
LIST_DEFAULT_LIMIT = 50
LIST_MAX_LIMIT = 100
MAX_CONSTRAINT_PAIRS = 8  # "Each constraint value can include up to 8 encryption context pairs"
MAX_CONSTRAINT_VALUE = 384  # "The encryption context value in each constraint cannot exceed 384 characters"

_ALIAS_ARN = re.compile(r"^arn:[\w-]+:kms:[^:]*:[^:]*:alias/")
# Principals a grant can name: "AWS accounts, IAM users, IAM roles, federated users, and
# assumed role users" [M-doc:CreateGrant.GranteePrincipal]. Not groups, not service principals.
_PRINCIPAL = re.compile(
    r"^(?:\d{12}|arn:[\w-]+:iam::\d{12}:(?:root|user/.+|role/.+)"
    r"|arn:[\w-]+:sts::\d{12}:(?:assumed-role/[^/]+/[^/]+|federated-user/.+))$"
)


# -- helpers ----------------------------------------------------------------------------


def _grant_key(ctx: RequestContext) -> Key:
    """Resolve KeyId for a grant operation: key ID or key ARN, never an alias."""
    key_id = ctx.params["KeyId"]
    if key_id.startswith("alias/") or _ALIAS_ARN.match(key_id):
        # Real AWS (CreateGrant with an alias name, boto/boto#3202, 2015). Assumed the same
        # for the other grant operations.
        raise InvalidArnException("Key Aliases are not supported for this operation.")
    return ctx.find_key(key_id, allow_alias=False)


def _check_principal(ctx: RequestContext, value: str) -> None:
    """A grantee/retiring principal must be an account or IAM/STS principal ARN, and (when
    the mock knows identities in that account) one that exists. AWS answers
    InvalidArnException (terraform-provider-aws#3038: new roles not yet visible); its text
    is unrecorded."""
    if not _PRINCIPAL.match(value):
        raise InvalidArnException(f"{value} is not a valid principal.")
    if value.startswith("arn:") and ctx.mock is not None:
        resource = value.split(":", 5)[5]
        if resource != "root" and not resource.startswith("federated-user/"):
            iam = ctx.mock.iam
            exists = getattr(iam, "principal_exists", None)
            if exists is not None and not exists(value):
                raise InvalidArnException(f"{value} is not a valid principal.")


def _check_grant_id(grant_id: str) -> None:
    if not GRANT_ID_RE.match(grant_id):
        # AWS's text is unrecorded; grant IDs are 64 hexadecimal characters [M-doc:RetireGrant].
        raise InvalidGrantIdException(f"Grant ID {grant_id} is not valid.")


def _find_grant(key: Key, grant_id: str) -> Grant:
    _check_grant_id(grant_id)
    grant = key.grants.get(grant_id)
    if grant is None:
        # A well-formed grant ID that the key does not have; AWS's text is unrecorded.
        raise NotFoundException(f"Grant ID {grant_id} not found for key {key.arn}.")
    return grant


def _access_denied(ctx: RequestContext, action: str, resource: str) -> AccessDeniedException:
    # AWS's AccessDeniedException form (kms_spec.md §6.1); the reason clause for grant-based
    # decisions is unrecorded, so none is given.
    return AccessDeniedException(f"User: {ctx.caller.arn} is not authorized to perform: {action} on resource: {resource}")


def _remove_grant(key: Key, grant: Grant) -> None:
    key.grants.pop(grant.grant_id, None)


# -- CreateGrant ------------------------------------------------------------------------


def _check_constraints(key: Key, operations: list[str], constraints: GrantConstraints | None) -> None:
    if constraints is None:
        return
    for member, pairs in (
        ("EncryptionContextEquals", constraints.encryption_context_equals),
        ("EncryptionContextSubset", constraints.encryption_context_subset),
    ):
        if pairs is None:
            continue
        # Limits from [M-doc:CreateGrant.Constraints]; AWS's error code and text for them
        # are unrecorded (ValidationException chosen, like other parameter checks).
        if len(pairs) > MAX_CONSTRAINT_PAIRS:
            raise ValidationException(
                f"{member} can include up to {MAX_CONSTRAINT_PAIRS} encryption context pairs."
            )
        for value in pairs.values():
            if len(value) > MAX_CONSTRAINT_VALUE:
                raise ValidationException(
                    f"Encryption context values in {member} cannot exceed {MAX_CONSTRAINT_VALUE} characters."
                )
    if constraints.has_encryption_context:
        # Encryption context constraints only for grants whose every operation takes an
        # encryption context (DescribeKey/RetireGrant/CreateGrant tolerated), which means
        # symmetric encryption keys only [M-doc:CreateGrant.Constraints]. Text unrecorded.
        unsupported = [op for op in operations if not accepts_encryption_context_constraint(op)]
        if unsupported or not key.is_symmetric_encryption:
            what = ", ".join(unsupported) if unsupported else ", ".join(operations)
            raise ValidationException(
                f"Encryption context grant constraints are not supported for the operations {what} "
                f"on a KMS key with KeySpec {key.spec.name} and KeyUsage {key.key_usage}."
            )


@operation("CreateGrant")
def create_grant(ctx: RequestContext) -> dict[str, Any]:
    params = ctx.params
    key = _grant_key(ctx)
    grantee = params.get("GranteePrincipal")
    grantee_service = params.get("GranteeServicePrincipal")
    retiring = params.get("RetiringPrincipal")
    retiring_service = params.get("RetiringServicePrincipal")
    # The either/or rules of [M-doc:CreateGrant]; AWS's texts are unrecorded.
    if (grantee is None) == (grantee_service is None):
        raise ValidationException("You must specify either GranteePrincipal or GranteeServicePrincipal, but not both.")
    if retiring is not None and retiring_service is not None:
        raise ValidationException("You can specify either RetiringPrincipal or RetiringServicePrincipal, but not both.")
    constraints = GrantConstraints.from_params(params.get("Constraints"))
    if grantee_service is not None:
        if constraints is None or constraints.source_arn is None:
            raise ValidationException("When you specify a GranteeServicePrincipal, you must also specify a SourceArn grant constraint.")
        if retiring is None and retiring_service is None:
            raise ValidationException(
                "When you specify a GranteeServicePrincipal, you must also specify a RetiringPrincipal or a RetiringServicePrincipal."
            )
    if grantee is not None:
        _check_principal(ctx, grantee)
    if retiring is not None:
        _check_principal(ctx, retiring)
    operations = list(dict.fromkeys(params["Operations"]))
    if not operations:
        # A grant that allows nothing; AWS's answer is unrecorded.
        raise ValidationException("The grant must allow at least one grant operation.")
    if operations == ["CreateGrant"]:
        # [kms_spec.md §5.3, ansible/ansible#31960]
        raise ValidationException("Grants must not contain only the CreateGrant operation.")
    allowed = operations_for_key(key)
    for op in operations:
        if op not in allowed:
            # "KMS returns a ValidationError exception" [M-doc:CreateGrant.Operations]; text unrecorded.
            raise ValidationException(
                f"Grant operation {op} is not valid for a KMS key with KeySpec {key.spec.name} "
                f"and KeyUsage {key.key_usage}."
            )
    _check_constraints(key, operations, constraints)

    with creating_grant(operations, constraints):
        ctx.authorize("kms:CreateGrant", key)
    check_state(key, "CreateGrant")

    name = params.get("Name")
    existing = None
    if name is not None:
        for grant in key.grants.values():
            if grant.same_request(
                name=name,
                grantee_principal=grantee,
                grantee_service_principal=grantee_service,
                retiring_principal=retiring,
                retiring_service_principal=retiring_service,
                operations=operations,
                constraints=constraints,
            ):
                existing = grant
                break
    if existing is None:
        limit = ctx.mock.quota("grants_per_key") if ctx.mock is not None else DEFAULT_GRANTS_PER_KEY
        if len(key.grants) >= limit:
            # Resource quota "Grants per KMS key" [DG23:resource-limits]; AWS's text is unrecorded.
            raise LimitExceededException(f"The number of grants on KMS key {key.arn} has reached the limit of {limit}.")
    ctx.finish_dry_run()

    grant = existing
    if grant is None:
        grant = Grant(
            key_id=key.key_id,
            key_arn=key.arn,
            grant_id=new_grant_id(),
            creation_date=ctx.now(),
            issuing_account=f"arn:{partition_for(ctx.region)}:iam::{ctx.caller.account}:root",
            operations=tuple(operations),
            grantee_principal=grantee,
            retiring_principal=retiring,
            name=name,
            constraints=constraints,
            grantee_service_principal=grantee_service,
            retiring_service_principal=retiring_service,
        )
        key.grants[grant.grant_id] = grant
    return {"GrantToken": issue_token(ctx.backend, key, grant), "GrantId": grant.grant_id}


# -- ListGrants / ListRetirableGrants ---------------------------------------------------


@operation("ListGrants")
def list_grants(ctx: RequestContext) -> dict[str, Any]:
    params = ctx.params
    key = _grant_key(ctx)
    ctx.authorize("kms:ListGrants", key)
    check_state(key, "ListGrants")
    grant_id = params.get("GrantId")
    if grant_id is not None:
        _check_grant_id(grant_id)
    grantee = params.get("GranteePrincipal")
    grantee_service = params.get("GranteeServicePrincipal")
    if grantee is not None and grantee_service is not None:
        # [M-doc:ListGrants]: "either GranteePrincipal or GranteeServicePrincipal, but not both"; text unrecorded.
        raise ValidationException("You can specify either GranteePrincipal or GranteeServicePrincipal, but not both.")
    entries = [
        grant.list_entry()
        for grant in key.grants.values()
        if (grant_id is None or grant.grant_id == grant_id)
        and (grantee is None or grant.grantee_principal == grantee)
        and (grantee_service is None or grant.grantee_service_principal == grantee_service)
    ]
    return paginate(
        entries,
        params,
        scope=f"ListGrants:{key.arn}",
        default_limit=LIST_DEFAULT_LIMIT,
        max_limit=LIST_MAX_LIMIT,
        field="Grants",
    )


def _principal_account(principal: str) -> str | None:
    if principal.isdigit():
        return principal
    parts = principal.split(":")
    return parts[4] if len(parts) > 5 else None


@operation("ListRetirableGrants")
def list_retirable_grants(ctx: RequestContext) -> dict[str, Any]:
    params = ctx.params
    principal = params.get("RetiringPrincipal")
    service_principal = params.get("RetiringServicePrincipal")
    if (principal is None) == (service_principal is None):
        # [M-doc:ListRetirableGrants]: "either RetiringPrincipal or RetiringServicePrincipal,
        # but not both"; text unrecorded.
        raise ValidationException("You must specify either RetiringPrincipal or RetiringServicePrincipal, but not both.")
    if principal is not None:
        if not _PRINCIPAL.match(principal):
            raise InvalidArnException(f"{principal} is not a valid principal.")
        # "Enter a principal in your Amazon Web Services account"; the answer for another
        # account's principal is unrecorded (AccessDeniedException is a guess: the
        # authorized resource is the retiring principal).
        if _principal_account(principal) != ctx.caller.account:
            raise _access_denied(ctx, "kms:ListRetirableGrants", principal)
        ctx.authorize("kms:ListRetirableGrants", resource=principal)
    else:
        ctx.authorize("kms:ListRetirableGrants", resource="*")
    region = ctx.region
    grants: list[Grant] = []
    for here in ctx.backend.regions():
        if here.region != region:
            continue
        for key in here.keys.values():
            for grant in key.grants.values():
                if principal is not None and grant.retiring_principal == principal:
                    grants.append(grant)
                elif service_principal is not None and grant.retiring_service_principal == service_principal:
                    grants.append(grant)
    grants.sort(key=lambda grant: grant.creation_date)  # stable: creation order within a tick
    return paginate(
        [grant.list_entry() for grant in grants],
        params,
        scope=f"ListRetirableGrants:{principal or service_principal}",
        default_limit=LIST_DEFAULT_LIMIT,
        max_limit=LIST_MAX_LIMIT,
        field="Grants",
    )


# -- RetireGrant / RevokeGrant ----------------------------------------------------------


def _may_retire(ctx: RequestContext, key: Key, grant: Grant) -> None:
    """Who may retire a grant [M-doc:RetireGrant; DG23:grant-manage]: the retiring principal,
    the grantee if the grant allows RetireGrant, the account in which the grant was created,
    and principals those accounts delegated kms:RetireGrant to in IAM.

    The delegation is approximated by the ordinary authorization of kms:RetireGrant for
    callers in the issuing account or the retiring principal's account (a key-policy
    statement naming the caller therefore also counts, which AWS says it does not).
    Constraints do not apply to RetireGrant.
    """
    caller = ctx.caller
    if principal_matches(grant.retiring_principal, caller):
        return
    if "RetireGrant" in grant.operations and principal_matches(grant.grantee_principal, caller):
        return
    if caller.arn == grant.issuing_account:
        return
    delegating = {grant.issuing_account_id}
    if grant.retiring_principal:
        account = _principal_account(grant.retiring_principal)
        if account:
            delegating.add(account)
    if caller.account in delegating:
        ctx.authorize("kms:RetireGrant", key)
        return
    raise _access_denied(ctx, "kms:RetireGrant", key.arn)


@operation("RetireGrant")
def retire_grant(ctx: RequestContext) -> dict[str, Any]:
    params = ctx.params
    token = params.get("GrantToken")
    if token is not None:
        ref, key, grant = resolve_token(ctx.backend, token)
        if key is not None and ctx.key is None:
            ctx.key = key
        if key is None or grant is None:
            # The token's grant was retired or revoked (or its key deleted); text unrecorded.
            where = key.arn if key is not None else f"arn:{partition_for(ref.region)}:kms:{ref.region}:{ref.account}:key/{ref.key_id}"
            raise NotFoundException(f"Grant ID {ref.grant_id} not found for key {where}.")
    else:
        if params.get("KeyId") is None or params.get("GrantId") is None:
            # "use a grant token, or both the grant ID and a key identifier" [M-doc:RetireGrant]; text unrecorded.
            raise ValidationException("Either GrantToken or both KeyId and GrantId must be specified.")
        key = _grant_key(ctx)
        grant = _find_grant(key, params["GrantId"])
    _may_retire(ctx, key, grant)
    check_state(key, "RetireGrant")
    ctx.finish_dry_run()
    _remove_grant(key, grant)
    return {}


@operation("RevokeGrant")
def revoke_grant(ctx: RequestContext) -> dict[str, Any]:
    key = _grant_key(ctx)
    ctx.authorize("kms:RevokeGrant", key)
    check_state(key, "RevokeGrant")
    grant = _find_grant(key, ctx.params["GrantId"])
    ctx.finish_dry_run()
    _remove_grant(key, grant)
    return {}


# -- grant tokens on every request ------------------------------------------------------


def check_request_grant_tokens(mock: KmsMock, operation_name: str, record: CallRecord) -> None:
    """Before-request hook: every token in ``GrantTokens`` must have been issued by this
    mock state, else InvalidGrantTokenException (declared by every operation that takes
    GrantTokens [M])."""
    tokens = record.params.get("GrantTokens") if isinstance(record.params, dict) else None
    if tokens:
        check_grant_tokens(mock.backend, tokens)
