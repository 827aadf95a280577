"""CreateAlias, UpdateAlias, DeleteAlias, ListAliases."""

from __future__ import annotations

import re
from typing import Any

from mock_kms.api.context import RequestContext
from mock_kms.api.pagination import paginate
from mock_kms.api.registry import operation
from mock_kms.core import managed_keys
from mock_kms.core.backend import Alias
from mock_kms.core.errors import (
    AlreadyExistsException,
    InvalidAliasNameException,
    LimitExceededException,
    NotFoundException,
    ValidationException,
)
from mock_kms.core.keys import Key

_ALIAS_CHARS = re.compile(r"^alias/[a-zA-Z0-9/_-]+$")
MAX_ALIASES_PER_KEY = 50


def check_alias_name(name: str) -> None:
    if not name.startswith("alias/"):
        raise ValidationException(
            'Alias must start with the prefix "alias/". '
            "Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html"
        )
    if not _ALIAS_CHARS.match(name):
        raise ValidationException(f"{name} contains invalid characters for an alias")
    if name.startswith("alias/aws/"):
        # The reserved prefix: AWS's text is unrecorded.
        raise InvalidAliasNameException(f"{name} must not begin with alias/aws/, which is reserved for AWS managed keys.")


@operation("CreateAlias")
def create_alias(ctx: RequestContext) -> dict[str, Any]:
    name = ctx.params["AliasName"]
    check_alias_name(name)
    here = ctx.here
    ctx.authorize("kms:CreateAlias", resource=here.alias_arn(name))
    key = _target_key(ctx)
    if name in here.aliases:
        raise AlreadyExistsException(f"An alias with the name {here.alias_arn(name)} already exists")
    _check_alias_quota(ctx, key)
    now = ctx.now()
    here.aliases[name] = Alias(name, key.key_id, here.alias_arn(name), now, now)
    return {}


def _target_key(ctx: RequestContext) -> Key:
    """TargetKeyId of CreateAlias / UpdateAlias: a customer managed key of the caller's account."""
    key = ctx.use_key("TargetKeyId", allow_alias=False)
    if key.account != ctx.account:
        raise NotFoundException(f"Key '{key.arn}' does not exist")
    if key.key_manager == "AWS":
        raise InvalidAliasNameException(f"{key.arn} is an AWS managed key and cannot be given an alias.")
    return key


def _check_alias_quota(ctx: RequestContext, key: Key) -> None:
    limit = ctx.mock.quota("aliases_per_key") if ctx.mock else MAX_ALIASES_PER_KEY
    usage = len(ctx.here.aliases_of(key.key_id))
    if usage >= limit:
        # AWS's text, recorded 2024 [GH:scylladb/scylla-cluster-tests#7611].
        raise LimitExceededException(
            f"Aliases per key quota for this account in this region is {limit}, current usage is {usage}."
        )


def _existing_alias(ctx: RequestContext, name: str) -> Alias:
    alias = ctx.here.aliases.get(name)
    if alias is None:
        if name.startswith("alias/aws/"):
            raise InvalidAliasNameException(f"{name} is reserved for AWS managed keys and cannot be changed.")
        raise NotFoundException(f"Alias {ctx.here.alias_arn(name)} is not found.")
    return alias


@operation("UpdateAlias")
def update_alias(ctx: RequestContext) -> dict[str, Any]:
    name = ctx.params["AliasName"]
    if not name.startswith("alias/"):
        check_alias_name(name)
    alias = _existing_alias(ctx, name)
    ctx.authorize("kms:UpdateAlias", resource=alias.arn)
    current = ctx.here.keys.get(alias.target_key_id)
    if current is not None:
        ctx.authorize("kms:UpdateAlias", current)
    key = _target_key(ctx)
    if current is not None and (current.spec.name, current.key_usage) != (key.spec.name, key.key_usage):
        # AWS requires the same key type and usage; its text is unrecorded.
        raise ValidationException(
            f"{key.arn} has a different key spec or key usage than the key currently associated with {name}."
        )
    if key.key_id != alias.target_key_id:
        _check_alias_quota(ctx, key)
    alias.target_key_id = key.key_id
    alias.last_updated_date = ctx.now()
    return {}


@operation("DeleteAlias")
def delete_alias(ctx: RequestContext) -> dict[str, Any]:
    name = ctx.params["AliasName"]
    if not name.startswith("alias/"):
        check_alias_name(name)
    alias = _existing_alias(ctx, name)
    ctx.authorize("kms:DeleteAlias", resource=alias.arn)
    key = ctx.here.keys.get(alias.target_key_id)
    if key is not None:
        ctx.authorize("kms:DeleteAlias", key)
    del ctx.here.aliases[name]
    return {}


def alias_entry(alias: Alias) -> dict[str, Any]:
    return {
        "AliasName": alias.name,
        "AliasArn": alias.arn,
        "TargetKeyId": alias.target_key_id,
        "CreationDate": alias.creation_date,
        "LastUpdatedDate": alias.last_updated_date,
    }


@operation("ListAliases")
def list_aliases(ctx: RequestContext) -> dict[str, Any]:
    ctx.authorize("kms:ListAliases", resource="*")
    aliases = list(ctx.here.aliases.values())
    key_id = None
    if ctx.params.get("KeyId"):
        key = ctx.find_key(ctx.params["KeyId"], allow_alias=False)
        key_id = key.key_id
        aliases = [alias for alias in aliases if alias.target_key_id == key.key_id]
    entries = [alias_entry(alias) for alias in aliases]
    # AWS's aliases (alias/aws/<service>) of the AWS managed keys created so far
    # (core/managed_keys.py; optionally the predefined ones too, without TargetKeyId).
    entries.extend(managed_keys.alias_entries(ctx.here, key_id, ctx.backend.extras))
    return paginate(entries, ctx.params, scope="ListAliases", default_limit=50, max_limit=100, field="Aliases")
