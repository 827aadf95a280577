"""botocore's KMS service model: the one source of truth for operations and shapes."""

from __future__ import annotations

import functools
import os

from botocore.model import ServiceModel


@functools.cache
def service_model() -> ServiceModel:
    """The model botocore's own ``Session.get_service_model("kms")`` returns, loaded without a
    session: a session's loader first lists every service botocore knows (~400 directories)
    and the session itself costs ~8 ms, ~25 ms of a cold start together (BENCHMARKS.md)."""
    try:
        from botocore.loaders import create_loader

        loader = create_loader(os.environ.get("AWS_DATA_PATH"))  # the search path a session uses
        version = loader.determine_latest_version("kms", "service-2")
        data = loader.load_data(f"kms/{version}/service-2")
        loader._extras_processor.process(data, loader._find_extras("kms", "service-2", version))
        return ServiceModel(data, service_name="kms")
    except Exception:  # another botocore's loader: the session's way, slower but the same model
        import botocore.session

        return botocore.session.get_session().get_service_model("kms")


@functools.cache
def operation_names() -> frozenset[str]:
    return frozenset(service_model().operation_names)
