"""botocore's KMS service model: the one source of truth for operations and shapes."""

from __future__ import annotations

import functools

from botocore.model import ServiceModel


@functools.cache
def service_model() -> ServiceModel:
    import botocore.session

    return botocore.session.get_session().get_service_model("kms")


@functools.cache
def operation_names() -> frozenset[str]:
    return frozenset(service_model().operation_names)
