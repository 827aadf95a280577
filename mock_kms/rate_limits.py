"""Optional request-rate quotas: ``mock_kms(rate_limits=True)`` throttles like AWS does.

Off by default. When on, every request takes a token from a bucket of its account, Region
and quota (kms_spec.md §8.2); a request that finds its bucket empty is answered
``ThrottlingException: You have exceeded the rate at which you may call KMS. Reduce the
frequency of your calls.`` — so retry and backoff code can be tested.

* Buckets are token buckets on the **mock clock**: a bucket of *r* requests per second
  holds at most ``max(r, 1)`` tokens and refills at *r* tokens per second of mock time.
  With a frozen clock nothing refills until the clock moves (``kms_mock.clock.advance``);
  with the real clock, botocore's own retries (which sleep) usually get through.
* Cryptographic operations share one bucket per key type, as in AWS: ``symmetric``
  (Encrypt, Decrypt, ReEncrypt, GenerateDataKey(WithoutPlaintext), GenerateMac, VerifyMac,
  GenerateRandom; HMAC keys count here), ``rsa``, ``ecc``, ``sm2`` and ``ml_dsa`` (Encrypt,
  Decrypt, ReEncrypt, Sign, Verify, DeriveSharedSecret with such keys). GenerateDataKeyPair
  (and …WithoutPlaintext) have one bucket per key pair spec, e.g.
  ``GenerateDataKeyPair:RSA_2048``. Every other operation has its own bucket, named after it.
* The symmetric quota depends on the Region (kms_spec.md §8.2).
* Requests count against the **caller's** account, in the request's Region (cross-account
  requests too). ``ReplicateKey`` also takes 2 ``CreateKey`` tokens in the replica Region and
  ``UpdatePrimaryRegion`` a token in the new primary Region (the AWS rules).
* DryRun requests count; requests rejected before reaching the handler (validation) don't.

``rate_limits`` may be ``True`` (AWS's defaults) or a dict of overrides, bucket name ->
requests per second (or ``None`` for no limit), e.g. ``{"symmetric": 50, "CreateKey": 1}``.
Operations added to KMS after the 2023 quota table (RotateKeyOnDemand, ListKeyRotations,
GetKeyLastUsage, …) have no published quota and are not throttled unless given one.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from mock_kms.core.errors import KMSError, ThrottlingException

if TYPE_CHECKING:
    from mock_kms.journal import CallRecord
    from mock_kms.mock import KmsMock

# Recorded AWS text (kms_spec.md §1); fault injection answers ThrottlingException with it too.
MESSAGE = "You have exceeded the rate at which you may call KMS. Reduce the frequency of your calls."

# Per-operation quotas, requests per second (June 2023 table [DG23:requests-per-second]).
OPERATION_QUOTAS: dict[str, float] = {
    "CancelKeyDeletion": 5,
    "ConnectCustomKeyStore": 5,
    "CreateAlias": 5,
    "CreateCustomKeyStore": 5,
    "CreateGrant": 50,
    "CreateKey": 5,
    "DeleteAlias": 15,
    "DeleteCustomKeyStore": 5,
    "DeleteImportedKeyMaterial": 5,
    "DescribeCustomKeyStores": 5,
    "DescribeKey": 2000,
    "DisableKey": 5,
    "DisableKeyRotation": 5,
    "DisconnectCustomKeyStore": 5,
    "EnableKey": 5,
    "EnableKeyRotation": 15,
    "GetKeyPolicy": 1000,
    "GetKeyRotationStatus": 1000,
    "GetParametersForImport": 0.25,
    "GetPublicKey": 2000,
    "ImportKeyMaterial": 5,
    "ListAliases": 500,
    "ListGrants": 100,
    "ListKeyPolicies": 100,
    "ListKeys": 500,
    "ListResourceTags": 2000,
    "ListRetirableGrants": 100,
    "PutKeyPolicy": 15,
    "ReplicateKey": 5,
    "RetireGrant": 30,
    "RevokeGrant": 30,
    "ScheduleKeyDeletion": 15,
    "TagResource": 10,
    "UntagResource": 5,
    "UpdateAlias": 5,
    "UpdateCustomKeyStore": 5,
    "UpdateKeyDescription": 5,
    "UpdatePrimaryRegion": 5,
}

# Shared cryptographic quotas by key type (current defaults, kms_spec.md §8.2).
CRYPTO_QUOTAS: dict[str, float] = {"symmetric": 10_000, "rsa": 1_000, "ecc": 1_000, "sm2": 1_000, "ml_dsa": 1_000}
# Regions with a higher symmetric quota (20,000 now; 50,000 in the 2023 guide's top Regions).
SYMMETRIC_BY_REGION: dict[str, float] = {
    **dict.fromkeys(
        ("us-east-2", "ap-southeast-1", "ap-southeast-2", "ap-northeast-1", "eu-central-1", "eu-west-2"), 20_000
    ),
    **dict.fromkeys(("us-east-1", "us-west-2", "eu-west-1"), 50_000),
}

# GenerateDataKeyPair(+WithoutPlaintext), by KeyPairSpec.
DATA_KEY_PAIR_QUOTAS: dict[str, float] = {
    "GenerateDataKeyPair:RSA_2048": 1,
    "GenerateDataKeyPair:RSA_3072": 0.5,
    "GenerateDataKeyPair:RSA_4096": 0.1,
    "GenerateDataKeyPair:ECC_NIST_P256": 25,
    "GenerateDataKeyPair:ECC_NIST_P384": 10,
    "GenerateDataKeyPair:ECC_NIST_P521": 5,
    "GenerateDataKeyPair:ECC_SECG_P256K1": 25,
    "GenerateDataKeyPair:SM2": 25,
}

SYMMETRIC_OPERATIONS = frozenset(
    {
        "Encrypt",
        "Decrypt",
        "ReEncrypt",
        "GenerateDataKey",
        "GenerateDataKeyWithoutPlaintext",
        "GenerateMac",
        "VerifyMac",
        "GenerateRandom",
    }
)
KEY_TYPED_OPERATIONS = frozenset({"Encrypt", "Decrypt", "ReEncrypt", "Sign", "Verify", "DeriveSharedSecret"})
_KEY_PARAM = {"ReEncrypt": "SourceKeyId"}

BUCKET_NAMES = frozenset(OPERATION_QUOTAS) | frozenset(CRYPTO_QUOTAS) | frozenset(DATA_KEY_PAIR_QUOTAS)
_UNSET = object()


def configure(option: Any) -> dict[str, float | None] | None:
    """Check a ``rate_limits=`` option: None when off, else the overrides (maybe empty)."""
    if option is None or option is False:
        return None
    if option is True:
        return {}
    if not isinstance(option, Mapping):
        raise TypeError("rate_limits must be True, False or a dict of bucket name -> requests per second")
    unknown = set(option) - BUCKET_NAMES
    if unknown:
        raise ValueError(f"unknown rate limit names: {sorted(unknown)}; known: {sorted(BUCKET_NAMES)}")
    overrides: dict[str, float | None] = {}
    for name, rate in option.items():
        if rate is not None and (isinstance(rate, bool) or not isinstance(rate, (int, float)) or rate <= 0):
            raise ValueError(
                f"rate limit {name!r} must be a positive number of requests per second or None, got {rate!r}"
            )
        overrides[name] = rate
    return overrides


def quota(name: str, region: str, overrides: Mapping[str, float | None]) -> float | None:
    """Requests per second of bucket ``name`` in ``region`` (None: not limited)."""
    rate = overrides.get(name, _UNSET)
    if rate is not _UNSET:
        return rate  # type: ignore[return-value]
    if name == "symmetric":
        return SYMMETRIC_BY_REGION.get(region, CRYPTO_QUOTAS["symmetric"])
    if name in CRYPTO_QUOTAS:
        return CRYPTO_QUOTAS[name]
    if name in DATA_KEY_PAIR_QUOTAS:
        return DATA_KEY_PAIR_QUOTAS[name]
    return OPERATION_QUOTAS.get(name)


@dataclass
class _Bucket:
    tokens: float
    updated: datetime


class RateLimiter:
    """Token buckets of one mock, by (account, Region, bucket name)."""

    def __init__(self, overrides: Mapping[str, float | None], backend: Any = None) -> None:
        self.overrides = dict(overrides)
        self.backend = backend
        self._buckets: dict[tuple[str, str, str], _Bucket] = {}
        self._lock = threading.Lock()

    def take(self, charges: list[tuple[str, str, str, float]], now: datetime) -> bool:
        """Take every charge (account, region, bucket, tokens) or none; False if throttled."""
        with self._lock:
            ready: list[tuple[_Bucket, float]] = []
            for account, region, name, cost in charges:
                rate = quota(name, region, self.overrides)
                if rate is None:
                    continue
                capacity = max(rate, 1.0)
                bucket = self._buckets.get((account, region, name))
                if bucket is None:
                    bucket = self._buckets[(account, region, name)] = _Bucket(capacity, now)
                elapsed = (now - bucket.updated).total_seconds()
                if elapsed > 0:
                    bucket.tokens = min(capacity, bucket.tokens + elapsed * rate)
                bucket.updated = now  # a clock moved backwards just restarts the refill
                if bucket.tokens < cost:
                    return False
                ready.append((bucket, cost))
            for bucket, cost in ready:
                bucket.tokens -= cost
            return True


def _key_bucket(mock: KmsMock, operation: str, record: CallRecord) -> str | None:
    """The shared cryptographic bucket a key-typed operation draws from."""
    params = record.params
    key_id = params.get(_KEY_PARAM.get(operation, "KeyId"))
    if not key_id:
        return "symmetric" if operation in SYMMETRIC_OPERATIONS else None
    backend = mock.backend
    try:
        key = backend.find_key(backend.region(record.account, record.region), key_id)
    except KMSError:
        return "symmetric" if operation in SYMMETRIC_OPERATIONS else None
    spec = key.spec.name
    if spec == "SYMMETRIC_DEFAULT" or spec.startswith("HMAC_"):
        return "symmetric"
    if spec.startswith("RSA_"):
        return "rsa"
    if spec.startswith("ECC_"):
        return "ecc"
    if spec == "SM2":
        return "sm2"
    if spec.startswith("ML_DSA"):
        return "ml_dsa"
    return "symmetric"


def charges_for(mock: KmsMock, operation: str, record: CallRecord) -> list[tuple[str, str, str, float]]:
    account, region = record.account, record.region
    params = record.params
    if operation in KEY_TYPED_OPERATIONS:
        name = _key_bucket(mock, operation, record)
        return [(account, region, name, 1)] if name else []
    if operation in SYMMETRIC_OPERATIONS:
        return [(account, region, "symmetric", 1)]
    if operation in ("GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext"):
        return [(account, region, f"GenerateDataKeyPair:{params.get('KeyPairSpec')}", 1)]
    charges = [(account, region, operation, 1.0)]
    if operation == "ReplicateKey" and isinstance(params.get("ReplicaRegion"), str):
        charges.append((account, params["ReplicaRegion"], "CreateKey", 2))
    if operation == "UpdatePrimaryRegion" and isinstance(params.get("PrimaryRegion"), str):
        charges.append((account, params["PrimaryRegion"], "UpdatePrimaryRegion", 1))
    return charges


def throttle(mock: KmsMock, operation: str, record: CallRecord) -> None:
    """The ``_BEFORE_REQUEST`` hook: raise ThrottlingException when a bucket is empty."""
    overrides = getattr(mock, "rate_limits", None)
    if overrides is None:
        return
    backend = mock.backend
    # One limiter per activation (a new backend starts with full buckets). Kept on the mock,
    # not in backend.extras: buckets are not state worth saving with the mock's state.
    limiter = getattr(mock, "_rate_limiter", None)
    if limiter is None or limiter.backend is not backend:
        limiter = mock._rate_limiter = RateLimiter(overrides, backend)  # type: ignore[attr-defined]
    if not limiter.take(charges_for(mock, operation, record), backend.clock.now()):
        raise ThrottlingException(MESSAGE)
