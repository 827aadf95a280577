"""TagResource, UntagResource, ListResourceTags, and the tag rules CreateKey shares."""

from __future__ import annotations

from typing import Any

from mock_kms.api.context import RequestContext
from mock_kms.api.pagination import paginate
from mock_kms.api.registry import operation
from mock_kms.core.errors import TagException
from mock_kms.core.keys import Key

MAX_TAGS_PER_KEY = 50


def validate_tags(tags: list[dict[str, str]]) -> dict[str, str]:
    """AWS's TagException rules (kms_spec.md §2.1); returns the tags as an ordered dict."""
    result: dict[str, str] = {}
    for tag in tags:
        name = tag["TagKey"]
        if name.lower().startswith("aws:"):
            raise TagException("Tags beginning with aws: are reserved")
        if name in result:
            raise TagException("Duplicate tag keys")
        result[name] = tag["TagValue"]
    return result


def tag_limit(ctx: RequestContext) -> int:
    """The tags per key quota (``quotas={"tags_per_key": …}``)."""
    return ctx.mock.quota("tags_per_key") if ctx.mock is not None else MAX_TAGS_PER_KEY


def new_key_tags(ctx: RequestContext) -> dict[str, str]:
    """The ``Tags`` of CreateKey / ReplicateKey: validated and within the quota."""
    tags = validate_tags(ctx.params.get("Tags", []))
    if len(tags) > tag_limit(ctx):
        raise TagException("Too many tags")
    return tags


def apply_tags(key: Key, tags: dict[str, str], limit: int = MAX_TAGS_PER_KEY) -> None:
    if len({**key.tags, **tags}) > limit:
        raise TagException("Too many tags")
    key.tags.update(tags)


@operation("TagResource")
def tag_resource(ctx: RequestContext) -> dict[str, Any]:
    key = ctx.use_key(allow_alias=False)
    apply_tags(key, validate_tags(ctx.params["Tags"]), tag_limit(ctx))
    return {}


@operation("UntagResource")
def untag_resource(ctx: RequestContext) -> dict[str, Any]:
    key = ctx.use_key(allow_alias=False)
    for name in ctx.params["TagKeys"]:
        key.tags.pop(name, None)  # an absent key "doesn't throw an exception"
    return {}


@operation("ListResourceTags")
def list_resource_tags(ctx: RequestContext) -> dict[str, Any]:
    key = ctx.use_key(allow_alias=False)
    tags = [{"TagKey": name, "TagValue": value} for name, value in key.tags.items()]
    return paginate(tags, ctx.params, scope="ListResourceTags", default_limit=50, max_limit=50, field="Tags")
