"""botocore's KMS service model: the one source of truth for operations and shapes."""

from __future__ import annotations

import functools

from botocore.model import ServiceModel


@functools.lru_cache(maxsize=None)
def service_model() -> ServiceModel:
    import botocore.session

    return botocore.session.get_session().get_service_model("kms")


@functools.lru_cache(maxsize=None)
def operation_names() -> frozenset[str]:
    return frozenset(service_model().operation_names)
