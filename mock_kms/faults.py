"""Fault injection: make the mock answer errors (or answer slowly) to test retries and error handling.

::

    kms_mock.inject_error("Decrypt", "ThrottlingException", times=2)       # the next two Decrypts
    kms_mock.inject_error("*", "KMSInternalException", probability=0.1, seed=7)
    kms_mock.inject_error("Encrypt", "KeyUnavailableException", key="alias/app")
    kms_mock.inject_error("Sign", "AccessDeniedException", principal=role_arn)
    kms_mock.inject_latency("GenerateDataKey", 0.25)
    kms_mock.clear_faults()

An injected error is answered exactly as AWS answers it — ``{"__type", "message"}`` with AWS's
HTTP status (500 for ``KMSInternalException``, ``DependencyTimeoutException`` and
``KeyUnavailableException``; 400 for everything else, ``ThrottlingException`` included) — so
botocore's retry logic sees what it would see from AWS: retryable errors are retried and the
retries show in ``ResponseMetadata.RetryAttempts``. Every attempt is a call in ``kms_mock.calls``
(``record.injected`` is true for injected errors).

A fault fires on requests that pass validation, before the handler runs (nothing is changed by
a request that gets an injected error). Faults are checked in the order they were added; the
first error fault that matches fires. ``times`` limits how often a fault fires; ``probability``
makes it fire at random (reproducibly, with ``seed``). Faults belong to the mock object, not to
its state: they stay across ``stop()``/``start()`` until ``clear_faults()`` or ``fault.cancel()``.
"""

from __future__ import annotations

import random
import re
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mock_kms.core import errors
from mock_kms.core.errors import KMSError
from mock_kms.journal import KEY_MEMBERS, CallRecord, caller_matches, resolve_key
from mock_kms.rate_limits import MESSAGE as THROTTLING_MESSAGE  # recorded AWS text (kms_spec.md §1)

if TYPE_CHECKING:
    from mock_kms.core.keys import Key
    from mock_kms.iam.principals import Principal, Role
    from mock_kms.mock import KmsMock

ANY_OPERATION = "*"

# The HTTP status AWS answers these errors with (the API Reference lists "HTTP Status Code: 500");
# every other KMS error is a 400.
SERVER_ERROR_STATUS = {
    "KMSInternalException": 500,
    "DependencyTimeoutException": 500,
    "KeyUnavailableException": 500,
    "InternalFailure": 500,
    "ServiceUnavailable": 503,
    "ServiceUnavailableException": 503,
}
_CODE = re.compile(r"^[A-Za-z][A-Za-z0-9]*$")


def default_message(code: str) -> str:
    """AWS's text where it is recorded; else the model's description of the exception.

    The model's description (e.g. for KMSInternalException: "The request was rejected because an
    internal exception occurred. The request can be retried.") is AWS's wording of what the error
    means; the exact message AWS sends with these errors is unrecorded.
    """
    if code == "ThrottlingException":
        return THROTTLING_MESSAGE
    try:
        from mock_kms.wire.model import service_model

        text = service_model().shape_for(code).documentation or ""
    except Exception:  # not a modeled exception
        text = ""
    text = re.sub(r"<[^>]+>", "", text).strip()
    return text or f"{code} (injected by mock_kms)"


@dataclass(eq=False)
class Fault:
    """One injected error or latency. ``fired`` counts the requests it applied to."""

    operation: str
    code: str | None = None  # None for a latency fault
    message: str = ""
    status: int = 400
    latency: float = 0.0
    times: int | None = None
    probability: float | None = None
    key: str | None = None
    principal: str | Principal | Role | None = None
    fired: int = 0
    cancelled: bool = False
    _random: random.Random = field(default_factory=random.Random, repr=False)

    @property
    def remaining(self) -> int | None:
        """How many more times it can fire (None: no limit)."""
        if self.cancelled:
            return 0
        return None if self.times is None else max(self.times - self.fired, 0)

    @property
    def active(self) -> bool:
        return self.remaining != 0

    def cancel(self) -> None:
        self.cancelled = True

    def error(self) -> KMSError:
        cls = getattr(errors, self.code or "", None)
        if isinstance(cls, type) and issubclass(cls, KMSError):
            error = cls(self.message)
        else:
            error = KMSError(self.message, code=self.code)
        error.status = self.status
        return error

    def _matches(self, mock: KmsMock, operation: str, record: CallRecord) -> bool:
        if not self.active:
            return False
        if self.operation != ANY_OPERATION and self.operation != operation:
            return False
        if self.principal is not None and not caller_matches(record.caller_arn, self.principal):
            return False
        if self.key is not None and not _request_uses_key(mock, record, self.key):
            return False
        if self.probability is not None and self._random.random() >= self.probability:
            return False
        return True


class FaultInjector:
    """The faults of one mock, checked before every request."""

    def __init__(self) -> None:
        self.faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, fault: Fault) -> Fault:
        with self._lock:
            self.faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self.faults.clear()

    def apply(self, mock: KmsMock, operation: str, record: CallRecord) -> None:
        """Set the request's latency; raise the first matching error fault's error."""
        with self._lock:
            faults = list(self.faults)
        error_fault = None
        for fault in faults:
            if fault.code is None:
                if fault._matches(mock, operation, record):
                    fault.fired += 1
                    record.latency = max(record.latency, fault.latency)
            elif error_fault is None and fault._matches(mock, operation, record):
                fault.fired += 1
                error_fault = fault
        if error_fault is not None:
            record.injected = True
            raise error_fault.error()


def _validate(operation: str, times: int | None, probability: float | None) -> None:
    from mock_kms.wire.model import operation_names

    if operation != ANY_OPERATION and operation not in operation_names():
        raise ValueError(f"unknown KMS operation {operation!r} (use '*' for every operation)")
    if times is not None and times < 1:
        raise ValueError("times must be at least 1 (or None for no limit)")
    if probability is not None and not 0.0 <= probability <= 1.0:
        raise ValueError("probability must be between 0 and 1")


def inject_error(
    mock: KmsMock,
    operation: str,
    code: str,
    message: str | None = None,
    *,
    times: int | None = None,
    probability: float | None = None,
    seed: int | None = None,
    key: str | None = None,
    principal: str | Principal | Role | None = None,
    status: int | None = None,
) -> Fault:
    _validate(operation, times, probability)
    if not isinstance(code, str) or not _CODE.match(code):
        raise ValueError(f"not an AWS error code: {code!r}")
    fault = Fault(
        operation=operation,
        code=code,
        message=default_message(code) if message is None else message,
        status=status if status is not None else SERVER_ERROR_STATUS.get(code, 400),
        times=times,
        probability=probability,
        key=key,
        principal=principal,
        _random=random.Random(seed),
    )
    return injector(mock).add(fault)


def inject_latency(
    mock: KmsMock,
    operation: str,
    seconds: float,
    *,
    times: int | None = None,
    probability: float | None = None,
    seed: int | None = None,
    key: str | None = None,
    principal: str | Principal | Role | None = None,
) -> Fault:
    _validate(operation, times, probability)
    if seconds < 0:
        raise ValueError("seconds must not be negative")
    fault = Fault(
        operation=operation,
        latency=float(seconds),
        times=times,
        probability=probability,
        key=key,
        principal=principal,
        _random=random.Random(seed),
    )
    return injector(mock).add(fault)


def injector(mock: KmsMock) -> FaultInjector:
    found = mock.__dict__.get("_fault_injector")
    if found is None:
        found = mock.__dict__.setdefault("_fault_injector", FaultInjector())
    return found


def before_request(mock: KmsMock, operation: str, record: CallRecord) -> None:
    """The hook in ``mock._BEFORE_REQUEST`` (runs inside the request lock). Free when no faults."""
    found = mock.__dict__.get("_fault_injector")
    if found is not None and found.faults:
        found.apply(mock, operation, record)


# -- which key a request uses ---------------------------------------------------------------
def _request_uses_key(mock: KmsMock, record: CallRecord, wanted: str) -> bool:
    wanted_key = resolve_key(mock, record.account, record.region, wanted)
    if wanted_key is None:
        return False
    return any(key is wanted_key for key in _request_keys(mock, record))


def _request_keys(mock: KmsMock, record: CallRecord) -> list[Key]:
    params = record.params
    keys = []
    for name in KEY_MEMBERS:
        value = params.get(name)
        if isinstance(value, str):
            key = resolve_key(mock, record.account, record.region, value)
            if key is not None:
                keys.append(key)
    blob = params.get("CiphertextBlob")
    if isinstance(blob, (bytes, bytearray)) and not params.get("KeyId") and not params.get("SourceKeyId"):
        from mock_kms.core import ciphertext

        try:
            parsed = ciphertext.parse(bytes(blob))
        except KMSError:
            return keys
        # As Decrypt finds it: the named key in the caller's region (a replica for mrk- keys).
        key = mock.backend.region(parsed.account, record.region).keys.get(parsed.key_id)
        if key is not None:
            keys.append(key)
    return keys
