"""GetKeyPolicy, PutKeyPolicy, ListKeyPolicies. A key has exactly one policy, named ``default``."""

from __future__ import annotations

from typing import Any

from mock_kms.api.context import RequestContext
from mock_kms.api.keys import check_policy_size, require_customer_managed
from mock_kms.api.pagination import paginate
from mock_kms.api.registry import operation
from mock_kms.core.errors import NotFoundException


def _check_policy_name(ctx: RequestContext) -> None:
    if ctx.params.get("PolicyName", "default") != "default":
        # AWS's text is unrecorded; LocalStack answers the same code with this text.
        raise NotFoundException("No such policy exists")


@operation("GetKeyPolicy")
def get_key_policy(ctx: RequestContext) -> dict[str, Any]:
    key = ctx.use_key(allow_alias=False)
    _check_policy_name(ctx)
    return {"Policy": key.policy, "PolicyName": "default"}


@operation("PutKeyPolicy")
def put_key_policy(ctx: RequestContext) -> dict[str, Any]:
    key = ctx.use_key(allow_alias=False)
    _check_policy_name(ctx)
    require_customer_managed(key)
    policy = ctx.params["Policy"]
    check_policy_size(policy, ctx.mock.quota("key_policy_size") if ctx.mock is not None else None)
    policy_check = ctx.backend.extras.get("check_new_key_policy")
    if policy_check is not None:
        policy_check(ctx, key, policy)
    key.policy = policy
    return {}


@operation("ListKeyPolicies")
def list_key_policies(ctx: RequestContext) -> dict[str, Any]:
    ctx.use_key(allow_alias=False)
    return paginate(["default"], ctx.params, scope="ListKeyPolicies", default_limit=100, max_limit=1000, field="PolicyNames")
