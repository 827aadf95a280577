"""The call journal: every request the mock answered, in order, CloudTrail-like.

``kms_mock.calls`` is a :class:`Journal` of :class:`CallRecord` objects. Filter it, or assert on it
with readable failure output::

    kms_mock.calls.assert_called_once("Decrypt", encryption_context={"tenant": "a"}, caller_arn=role_arn)
    kms_mock.calls.assert_not_called("Encrypt", key="alias/legacy")
    [record.parameters for record in kms_mock.calls.filter("GenerateDataKey", succeeded=True)]

Filters (keyword arguments of ``filter``, ``count``, ``last`` and the ``assert_*`` helpers):

* ``key`` — the key the request acted on, as a key ID, key ARN, or exactly the identifier the
  request sent (e.g. ``"alias/my-key"``); ReEncrypt also matches its destination key.
* ``caller_arn`` (or ``caller``) — the caller's ARN; a role ARN (``arn:aws:iam::…:role/Name``)
  also matches calls made by any session of that role (``arn:aws:sts::…:assumed-role/Name/…``).
  A principal object with an ``arn`` attribute works too.
* ``encryption_context`` — equal to the request's (source) encryption context (``{}`` = none).
* ``params`` (or ``parameters``) — a dict that must be a subset of the request parameters (as
  journaled: a secret member's value is ``"<redacted>"``).
* any other :class:`CallRecord` attribute (``region``, ``account``, ``error_code``, ``succeeded``,
  ``key_arn``, ``request_id``, ``injected``, …) — equal to the value.

Any filter value may also be a callable, used as a predicate on the record's value.

A record keeps no secret: ``params`` holds the request parameters with every member the KMS model
marks sensitive (``Plaintext``, ``Message``, ``KeyStorePassword``, ``XksProxyAuthenticationCredential``)
and the wrapped ``EncryptedKeyMaterial`` replaced by ``"<redacted>"`` (CloudTrail never logs them
either), and nothing of the response. The key a record names is held weakly: the journal never keeps a
key's material alive, and ``dataclasses.asdict(record)`` copies no key.

The journal also keeps each key's *last usage* (what ``GetKeyLastUsage`` answers): when a
cryptographic operation succeeds, its time, operation, CloudTrail event ID and request ID are
stored on the key (``key.extras["last_usage"]``), so they survive ``calls.clear()`` and saved state.
"""

from __future__ import annotations

import functools
import re
import threading
import time as _time
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, overload

from mock_kms.core.ids import random_uuid
from mock_kms.denials import notify as notify_denied

if TYPE_CHECKING:
    from mock_kms.api.context import Caller
    from mock_kms.core.clock import Clock
    from mock_kms.core.errors import KMSError
    from mock_kms.core.keys import Key
    from mock_kms.iam.decision import AccessDecision
    from mock_kms.mock import KmsMock

# Request members whose values never appear in the journal (the members the KMS model marks
# sensitive, at any depth, plus wrapped key material); ``secret_members()`` reads the model.
SECRET_MEMBERS = frozenset(
    {"Plaintext", "Message", "KeyStorePassword", "XksProxyAuthenticationCredential", "EncryptedKeyMaterial"}
)
REDACTED = "<redacted>"
# Members naming a key, in the order a request's keys are reported.
KEY_MEMBERS = ("KeyId", "SourceKeyId", "DestinationKeyId", "TargetKeyId")
# Where the journal keeps a key's last usage (in ``Key.extras``), and an optional tracking start.
LAST_USAGE = "last_usage"
USAGE_TRACKING_START = "usage_tracking_start"

_FALLBACK_TRACKED = (
    "Decrypt", "DeriveSharedSecret", "Encrypt", "GenerateDataKey", "GenerateDataKeyPair",
    "GenerateDataKeyPairWithoutPlaintext", "GenerateDataKeyWithoutPlaintext", "GenerateMac",
    "ReEncrypt", "Sign", "Verify", "VerifyMac",
)  # fmt: skip


@functools.cache
def tracked_operations() -> frozenset[str]:
    """The operations GetKeyLastUsage reports (the model's ``KeyLastUsageTrackingOperation``)."""
    try:
        from mock_kms.wire.model import service_model

        return frozenset(service_model().shape_for("KeyLastUsageTrackingOperation").enum)
    except Exception:  # an older botocore without GetKeyLastUsage
        return frozenset(_FALLBACK_TRACKED)


@functools.cache
def secret_members() -> frozenset[str]:
    """The top-level request members of any operation that are, or hold, a sensitive shape."""
    try:
        from mock_kms.wire.model import service_model

        model = service_model()
        found = set(SECRET_MEMBERS)
        for name in model.operation_names:
            shape = model.operation_model(name).input_shape
            if shape is not None:
                found.update(member for member, value in shape.members.items() if _holds_sensitive(value, set()))
        return frozenset(found)
    except Exception:  # a botocore without the model's ``sensitive`` traits: the known members
        return SECRET_MEMBERS


def _holds_sensitive(shape: Any, seen: set[str]) -> bool:
    if shape.metadata.get("sensitive"):
        return True
    if shape.name in seen:
        return False
    seen.add(shape.name)
    kind = shape.type_name
    if kind == "structure":
        return any(_holds_sensitive(member, seen) for member in shape.members.values())
    if kind == "list":
        return _holds_sensitive(shape.member, seen)
    if kind == "map":
        return _holds_sensitive(shape.key, seen) or _holds_sensitive(shape.value, seen)
    return False


def redact(params: dict[str, Any]) -> dict[str, Any]:
    """``params`` with every secret member's value replaced by ``"<redacted>"``; ``params``
    itself when it holds none (most requests: no copy on the per-call path)."""
    secrets = secret_members()
    if secrets.isdisjoint(params):
        return params
    return {name: REDACTED if name in secrets else value for name, value in params.items()}


_ROLE_ARN = re.compile(r"^arn:([\w-]+):iam::(\d{12}):role/(?:.*/)?([^/]+)$")


def caller_matches(caller_arn: str, wanted: Any) -> bool:
    """Whether a call made as ``caller_arn`` was made by ``wanted`` (an ARN or a principal).

    A role ARN matches the role's sessions: ``arn:aws:sts::<account>:assumed-role/<name>/<session>``.
    """
    wanted = getattr(wanted, "arn", wanted)
    if caller_arn == wanted:
        return True
    match = _ROLE_ARN.match(wanted) if isinstance(wanted, str) else None
    if match is None:
        return False
    partition, account, name = match.groups()
    return caller_arn.startswith(f"arn:{partition}:sts::{account}:assumed-role/{name}/")


@dataclass(eq=False, slots=True)  # slots: one object per call, not two (memory, GC work)
class CallRecord:
    """One request (or one thing the service did by itself), CloudTrail-like."""

    time: datetime
    operation: str
    region: str
    account: str
    caller_arn: str
    request_id: str
    # The request parameters, secrets redacted (see ``redact``): never a plaintext or a password.
    params: dict[str, Any] = field(default_factory=dict, repr=False)
    # The key the request acted on (set with ``record.key = key``), shown by ``repr``.
    key_arn: str | None = None
    error_code: str | None = None
    error_message: str | None = None
    access_key_id: str = field(default="", repr=False)
    # Set by fault injection: the error was injected, and the simulated latency (seconds).
    injected: bool = False
    latency: float = field(default=0.0, repr=False)
    event_type: str = field(default="AwsApiCall", repr=False)
    # Service events (``add_event``): CloudTrail's ``serviceEventDetails``.
    service_event_details: dict[str, Any] | None = field(default=None, repr=False)
    # AccessDeniedException from the authorizer: its decision, explained (iam/decision.py).
    decision: AccessDecision | None = field(default=None, repr=False)
    _event_id: str | None = field(default=None, repr=False)
    # Weak references: a record never keeps a key (and its material) alive.
    _key: weakref.ref[Key] | None = field(default=None, init=False, repr=False)
    # Other keys the request used (ReEncrypt's destination), noted before the handler ran.
    _related: list[tuple[str, weakref.ref[Key]]] = field(default_factory=list, init=False, repr=False)

    @property
    def key(self) -> Key | None:
        """The key the request acted on, while it exists (``key_arn`` stays)."""
        return self._key() if self._key is not None else None

    @key.setter
    def key(self, key: Key | None) -> None:
        self._key = weakref.ref(key) if key is not None else None
        self.key_arn = key.arn if key is not None else None

    @property
    def key_id(self) -> str | None:
        return self.key_arn.rsplit("/", 1)[-1] if self.key_arn is not None else None

    @property
    def related_keys(self) -> list[Key]:
        """Other keys the request used (ReEncrypt's destination), while they exist."""
        return [key for _, ref in self._related if (key := ref()) is not None]

    def add_related_key(self, key: Key) -> None:
        self._related.append((key.arn, weakref.ref(key)))

    @property
    def keys(self) -> list[Key]:
        """Every key the request used: the first resolved, then ReEncrypt's destination."""
        key = self.key
        found = [] if key is None else [key]
        return found + [other for other in self.related_keys if other is not key]

    @property
    def key_arns(self) -> list[str]:
        """The ARNs of every key the request used (kept after the keys are deleted)."""
        found = [] if self.key_arn is None else [self.key_arn]
        return found + [arn for arn, _ in self._related if arn not in found]

    @property
    def event_id(self) -> str:
        """The CloudTrail ``eventID`` of this call (made on first use)."""
        if self._event_id is None:
            self._event_id = random_uuid()  # uuid4-shaped, a tenth of uuid4's cost (core/ids.py)
        return self._event_id

    @property
    def parameters(self) -> dict[str, Any]:
        """The request parameters with plaintext and secrets redacted (a copy of ``params``)."""
        return dict(self.params)

    @property
    def encryption_context(self) -> dict[str, str] | None:
        params = self.params
        return params.get("EncryptionContext") or params.get("SourceEncryptionContext")

    @property
    def succeeded(self) -> bool:
        return self.error_code is None

    @property
    def outcome(self) -> str:
        """``"ok"`` or the error code."""
        return "ok" if self.error_code is None else self.error_code

    def cloudtrail_event(self) -> dict[str, Any]:
        """This call as a CloudTrail event record (the fields KMS events carry)."""
        event: dict[str, Any] = {
            "eventVersion": "1.08",
            "userIdentity": {"arn": self.caller_arn, "accountId": self.account},
            "eventTime": self.time.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "eventSource": "kms.amazonaws.com",
            "eventName": self.operation,
            "awsRegion": self.region,
            "requestParameters": {
                name[:1].lower() + name[1:]: value
                for name, value in self.parameters.items()
                if not isinstance(value, (bytes, bytearray))
            },
            "responseElements": None,
            "requestID": self.request_id,
            "eventID": self.event_id,
            "readOnly": self.operation.startswith(("Describe", "Get", "List")),
            "resources": [
                {"accountId": arn.split(":", 5)[4], "type": "AWS::KMS::Key", "ARN": arn} for arn in self.key_arns
            ],
            "eventType": self.event_type,
            "managementEvent": True,
            "recipientAccountId": self.account,
            "eventCategory": "Management",
        }
        if self.access_key_id:
            event["userIdentity"]["accessKeyId"] = self.access_key_id
        if self.service_event_details is not None:
            event["requestParameters"] = None
            event["serviceEventDetails"] = dict(self.service_event_details)
        if self.error_code is not None:
            event["errorCode"] = self.error_code
            event["errorMessage"] = self.error_message
        return event

    def __str__(self) -> str:
        text = f"{self.time:%Y-%m-%dT%H:%M:%SZ} {self.operation} by {self.caller_arn} on {self.key_arn or '-'}"
        if self.encryption_context:
            text += f" encryption_context={self.encryption_context}"
        return f"{text} -> {self.outcome}{' (injected)' if self.injected else ''}"


# -- matching -----------------------------------------------------------------------------
_ALIASES = {"caller": "caller_arn", "parameters": "params"}


def _match_key(record: CallRecord, wanted: Any, journal: Journal) -> bool:
    wanted = getattr(wanted, "arn", wanted)  # a Key object
    for arn in record.key_arns:
        if wanted == arn or wanted == arn.rsplit("/", 1)[-1]:
            return True
    keys = record.keys
    if any(record.params.get(name) == wanted for name in KEY_MEMBERS):
        return True
    if keys and isinstance(wanted, str) and ("alias/" in wanted) and journal.mock is not None:
        # An alias name: the key it points to now, in the record's account and Region.
        target = resolve_key(journal.mock, record.account, record.region, wanted)
        return target is not None and any(key is target for key in keys)
    return False


def _match_params(record: CallRecord, wanted: dict[str, Any]) -> bool:
    params = record.params
    return all(name in params and params[name] == value for name, value in wanted.items())


_SPECIAL: dict[str, Callable[[CallRecord, Any, Journal], bool]] = {
    "key": _match_key,
    "caller_arn": lambda record, wanted, _: caller_matches(record.caller_arn, wanted),
    "encryption_context": lambda record, wanted, _: (record.encryption_context or {}) == (wanted or {}),
    "params": lambda record, wanted, _: _match_params(record, wanted),
}


def _field_matches(journal: Journal, record: CallRecord, name: str, wanted: Any) -> bool:
    if callable(wanted) and not hasattr(wanted, "arn"):
        value = record.params if name == "params" else getattr(record, name)
        return bool(wanted(value))
    special = _SPECIAL.get(name)
    if special is not None:
        return special(record, wanted, journal)
    return getattr(record, name) == wanted


def _normalize(fields: dict[str, Any]) -> dict[str, Any]:
    normalized = {}
    for name, value in fields.items():
        name = _ALIASES.get(name, name)
        if name not in _SPECIAL and not hasattr(CallRecord, name) and name not in CallRecord.__dataclass_fields__:
            known = sorted({*_SPECIAL, *_ALIASES, *(n for n in CallRecord.__dataclass_fields__ if n[0] != "_")})
            raise TypeError(f"unknown call filter {name!r}; known filters: {', '.join(known)}")
        normalized[name] = value
    return normalized


def _describe(operation: str | None, fields: dict[str, Any]) -> str:
    parts = [f"{name}={value!r}" for name, value in fields.items()]
    what = operation or "a call"
    return f"{what} with {', '.join(parts)}" if parts else what


class Journal:
    """Append-only list of CallRecords, thread-safe, with filters and assertion helpers."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._records: list[CallRecord] = []
        self._lock = threading.Lock()
        self.listeners: list[Callable[[CallRecord], None]] = []
        # The mock, to resolve alias names in the ``key`` filter (set by the mock on reset).
        self.mock: KmsMock | None = None

    # -- recording (called by the wire layer) ---------------------------------------------
    def begin(self, operation: str, region: str, caller: Caller, request_id: str) -> CallRecord:
        record = CallRecord(
            self._clock.now(), operation, region, caller.account, caller.arn, request_id,
            access_key_id=caller.access_key_id,
        )  # fmt: skip
        with self._lock:
            self._records.append(record)
        return record

    def finish(self, record: CallRecord, error: KMSError | None) -> None:
        """The outcome of a request; runs outside the request lock, before the response is sent."""
        if error is not None:
            record.error_code = error.code
            record.error_message = error.message
            if error.code == "AccessDeniedException":
                record.decision = getattr(error, "decision", None)
                notify_denied(record)
        elif record.operation in tracked_operations():
            if self.mock is not None:
                with self.mock.backend.lock:  # key.extras is state: change it under the state's lock
                    _note_usage(record)
            else:
                _note_usage(record)
        for listener in self.listeners:
            listener(record)
        if record.latency:
            _time.sleep(record.latency)

    def add_event(
        self,
        operation: str,
        region: str,
        account: str,
        key: Key | None,
        when: datetime,
        details: dict[str, Any] | None = None,
    ) -> CallRecord:
        """Record something the service did by itself (a deletion, a rotation) at ``when``.

        Such events are observed by the next request, after it was journaled; the event is
        placed before the records made later than ``when`` so the journal stays in time order.
        """
        record = CallRecord(when, operation, region, account, "kms.amazonaws.com", "")
        record.key = key
        record.event_type = "AwsServiceEvent"
        record.service_event_details = details or {}
        with self._lock:
            records = self._records
            index = len(records)
            while index and records[index - 1].time > when:
                index -= 1
            records.insert(index, record)
        return record

    # -- reading --------------------------------------------------------------------------
    def __iter__(self) -> Iterator[CallRecord]:
        return iter(list(self._records))

    def __len__(self) -> int:
        return len(self._records)

    @overload
    def __getitem__(self, index: int) -> CallRecord: ...

    @overload
    def __getitem__(self, index: slice) -> list[CallRecord]: ...

    def __getitem__(self, index: int | slice) -> CallRecord | list[CallRecord]:
        return self._records[index]

    def __repr__(self) -> str:
        return f"<Journal of {len(self)} calls>"

    @property
    def operations(self) -> list[str]:
        """The operation names, in order."""
        return [record.operation for record in list(self._records)]

    def filter(self, operation: str | None = None, **fields: Any) -> list[CallRecord]:
        """Records of ``operation`` (any if None) matching every filter given (see module docs)."""
        fields = _normalize(fields)
        found = []
        for record in list(self._records):
            if operation is not None and record.operation != operation:
                continue
            if all(_field_matches(self, record, name, value) for name, value in fields.items()):
                found.append(record)
        return found

    def count(self, operation: str | None = None, **fields: Any) -> int:
        return len(self.filter(operation, **fields))

    def last(self, operation: str | None = None, **fields: Any) -> CallRecord | None:
        """The most recent matching record, or None."""
        found = self.filter(operation, **fields)
        return found[-1] if found else None

    def clear(self) -> None:
        with self._lock:
            self._records.clear()

    # -- assertions -----------------------------------------------------------------------
    def assert_called(
        self, operation: str | None = None, *, times: int | None = None, **fields: Any
    ) -> list[CallRecord]:
        """At least one matching call (exactly ``times`` if given); returns the matching records."""
        found = self.filter(operation, **fields)
        if (times is None and not found) or (times is not None and len(found) != times):
            wanted = "at least once" if times is None else f"{times} time{'s' if times != 1 else ''}"
            self._fail(f"Expected {_describe(operation, fields)} {wanted}", operation, found, fields)
        return found

    def assert_called_once(self, operation: str | None = None, **fields: Any) -> CallRecord:
        """Exactly one matching call; returns it."""
        return self.assert_called(operation, times=1, **fields)[0]

    def assert_not_called(self, operation: str | None = None, **fields: Any) -> None:
        found = self.filter(operation, **fields)
        if found:
            self._fail(f"Expected no {_describe(operation, fields)}", operation, found, fields)

    def assert_calls(self, *operations: str) -> None:
        """The operations called, in order, are exactly ``operations``."""
        seen = self.operations
        if seen != list(operations):
            raise AssertionError(f"Expected calls {list(operations)}\n{self._listing([], None, {})}")

    def _fail(self, expectation: str, operation: str | None, found: list[CallRecord], fields: dict[str, Any]) -> None:
        count = len(found)
        message = f"{expectation}; {count} matching call{'s' if count != 1 else ''}.\n"
        raise AssertionError(message + self._listing(found, operation, _normalize(fields)))

    def _listing(self, found: list[CallRecord], operation: str | None, fields: dict[str, Any]) -> str:
        records = list(self._records)
        if not records:
            return "No KMS calls were made."
        lines = [f"KMS calls seen ({len(records)}), '*' = matching:"]
        matching = {id(record) for record in found}
        shown = len(records) - _LISTED  # long journals: the matching calls and the last ones
        for number, record in enumerate(records, 1):
            marker = "*" if id(record) in matching else " "
            if number <= shown and marker == " ":
                if lines[-1] != "   ...":
                    lines.append("   ...")
                continue
            line = f" {marker}{number:>3}. {record}"
            if marker == " " and (operation is None or record.operation == operation):
                differences = [
                    f"{name}={_shown(record, name)!r}"
                    for name, value in fields.items()
                    if not _field_matches(self, record, name, value)
                ]
                if differences:
                    line += f"  [differs: {', '.join(differences)}]"
            lines.append(line)
        return "\n".join(lines)


_LISTED = 40  # calls a failed assertion lists (besides the matching ones)


def _shown(record: CallRecord, name: str) -> Any:
    if name == "key":
        return record.key_arn
    if name == "params":
        return record.parameters
    if name == "encryption_context":
        return record.encryption_context or {}
    return getattr(record, name)


# -- last usage (GetKeyLastUsage) -----------------------------------------------------------
def _note_usage(record: CallRecord) -> None:
    usage = {
        "Operation": record.operation,
        "Timestamp": record.time,
        "CloudTrailEventId": record.event_id,
        "KmsRequestId": record.request_id,
    }
    # record.keys builds two lists; most requests use one key and no related keys.
    key = record.key
    keys = record.keys if record._related else (() if key is None else (key,))
    for key in keys:
        previous = key.extras.get(LAST_USAGE)
        if previous is None or previous["Timestamp"] <= record.time:
            key.extras[LAST_USAGE] = usage


def resolve_key(mock: KmsMock, account: str, region: str, identifier: str) -> Key | None:
    """The key ``identifier`` (key ID/ARN, alias name/ARN) names in ``account`` and ``region``, or None."""
    from mock_kms.core.errors import KMSError

    backend = mock.backend
    try:
        return backend.find_key(backend.region(account, region), identifier)
    except KMSError:
        return None


def install(mock: KmsMock) -> None:
    """``_ON_RESET`` hook: let the journal resolve alias names."""
    mock.journal.mock = mock


def note_related_keys(mock: KmsMock, operation: str, record: CallRecord) -> None:
    """Before-request hook: ReEncrypt's destination key, resolved as the handler will resolve it."""
    if operation != "ReEncrypt":
        return
    destination = record.params.get("DestinationKeyId")
    if isinstance(destination, str):
        key = resolve_key(mock, record.account, record.region, destination)
        if key is not None:  # else the handler answers the error
            record.add_related_key(key)
