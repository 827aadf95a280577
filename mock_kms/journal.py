"""The call journal: every request the mock answered, in order, CloudTrail-like."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from mock_kms.api.context import Caller
    from mock_kms.core.clock import Clock
    from mock_kms.core.errors import KMSError
    from mock_kms.core.keys import Key

# Request members whose values never appear in the journal.
SECRET_MEMBERS = frozenset({"Plaintext", "KeyStorePassword", "XksProxyAuthenticationCredential", "EncryptedKeyMaterial"})
REDACTED = "<redacted>"


def redact(params: dict[str, Any]) -> dict[str, Any]:
    return {name: REDACTED if name in SECRET_MEMBERS else value for name, value in params.items()}


@dataclass(eq=False)
class CallRecord:
    time: datetime
    operation: str
    region: str
    account: str
    caller_arn: str
    request_id: str
    params: dict[str, Any] = field(default_factory=dict, repr=False)
    key: "Key | None" = field(default=None, repr=False)
    error_code: str | None = None
    error_message: str | None = None

    @property
    def key_arn(self) -> str | None:
        return self.key.arn if self.key is not None else None

    @property
    def parameters(self) -> dict[str, Any]:
        """The request parameters with plaintext and secrets redacted."""
        return redact(self.params)

    @property
    def encryption_context(self) -> dict[str, str] | None:
        params = self.params
        return params.get("EncryptionContext") or params.get("SourceEncryptionContext")

    @property
    def succeeded(self) -> bool:
        return self.error_code is None

    def __str__(self) -> str:
        outcome = "ok" if self.error_code is None else self.error_code
        return f"{self.time:%Y-%m-%dT%H:%M:%SZ} {self.operation} {self.caller_arn} {self.key_arn or '-'} -> {outcome}"


class Journal:
    """Append-only list of CallRecords, thread-safe, with a few filters."""

    def __init__(self, clock: "Clock") -> None:
        self._clock = clock
        self._records: list[CallRecord] = []
        self._lock = threading.Lock()
        self.listeners: list[Callable[[CallRecord], None]] = []

    def begin(self, operation: str, region: str, caller: "Caller", request_id: str) -> CallRecord:
        record = CallRecord(self._clock.now(), operation, region, caller.account, caller.arn, request_id)
        with self._lock:
            self._records.append(record)
        return record

    def finish(self, record: CallRecord, error: "KMSError | None") -> None:
        if error is not None:
            record.error_code = error.code
            record.error_message = error.message
        for listener in self.listeners:
            listener(record)

    def add_event(self, operation: str, region: str, account: str, key: "Key | None", when: datetime) -> CallRecord:
        """Record something the service did by itself (a deletion, a rotation)."""
        record = CallRecord(when, operation, region, account, "kms.amazonaws.com", "", key=key)
        with self._lock:
            self._records.append(record)
        return record

    def __iter__(self):
        return iter(list(self._records))

    def __len__(self) -> int:
        return len(self._records)

    def __getitem__(self, index):
        return self._records[index]

    def filter(self, operation: str | None = None, **fields: Any) -> list[CallRecord]:
        """Records matching ``operation`` and every ``field=value`` given (e.g. ``key_arn=…``)."""
        found = []
        for record in list(self._records):
            if operation is not None and record.operation != operation:
                continue
            if all(getattr(record, name) == value for name, value in fields.items()):
                found.append(record)
        return found

    def clear(self) -> None:
        with self._lock:
            self._records.clear()
