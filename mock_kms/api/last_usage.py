"""GetKeyLastUsage: the last successful cryptographic operation with a key, from the call journal.

The journal (``mock_kms.journal``) notes each successful call of a ``KeyLastUsageTrackingOperation``
on the key it used (both keys of a ReEncrypt); multi-Region keys track usage independently.
"""

from __future__ import annotations

from typing import Any

from mock_kms.api.context import RequestContext
from mock_kms.api.registry import operation
from mock_kms.journal import LAST_USAGE, USAGE_TRACKING_START


@operation("GetKeyLastUsage")
def get_key_last_usage(ctx: RequestContext) -> dict[str, Any]:
    # Key ID or key ARN only: "Alias names are not supported" [M-doc:GetKeyLastUsage].
    key = ctx.use_key(allow_alias=False)
    usage = key.extras.get(LAST_USAGE)
    # The mock tracks usage from key creation, unless the key came from a seed or state file with
    # an earlier creation date: then from when the mock began tracking it.
    tracking_start = key.extras.get(USAGE_TRACKING_START) or key.creation_date
    return {
        # "The globally unique identifier for the KMS key": the key ID, as in KeyMetadata.KeyId
        # (the model's wording is the same; no AWS response is recorded).
        "KeyId": key.key_id,
        "KeyLastUsage": dict(usage) if usage else {},
        "TrackingStartDate": max(tracking_start, key.creation_date),
        "KeyCreationDate": key.creation_date,
    }
