"""Authorization of one request. Placeholder until the policy engine is wired in:
every caller is allowed (the caller of plain tests is the default account's administrator)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mock_kms.api.context import RequestContext
    from mock_kms.core.keys import Key


def authorize(ctx: "RequestContext", action: str, key: "Key | None" = None, resource: str | None = None) -> None:
    """Raise AccessDeniedException unless the caller may perform ``action``."""
    return None
