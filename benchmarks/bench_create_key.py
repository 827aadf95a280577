"""CreateKey cost per key spec: mock_kms vs botocore's floor (and moto, when installed).

mock_kms generates key material lazily (on first use), so CreateKey should cost the same
for an RSA_4096 key as for a symmetric one. The floor is a boto3 client whose
``before-send.kms`` handler returns a canned, valid CreateKey response: the least any
wire-level mock can cost. moto's ``mock_aws`` is measured too if ``import moto`` works
(it generates key material eagerly); without moto the column is simply left out.

Run: python benchmarks/bench_create_key.py [--calls 300] [--budget 3]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from typing import Any, Callable

os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")

import boto3  # noqa: E402
from botocore.awsrequest import AWSResponse  # noqa: E402

from mock_kms import mock_kms  # noqa: E402

REGION = "us-east-1"
SPECS = {
    "SYMMETRIC_DEFAULT": "ENCRYPT_DECRYPT",
    "RSA_4096": "SIGN_VERIFY",
    "ECC_NIST_P521": "SIGN_VERIFY",
    "HMAC_512": "GENERATE_VERIFY_MAC",
    "ML_DSA_87": "SIGN_VERIFY",
}


def _create(kms, spec: str) -> Callable[[], Any]:
    usage = SPECS[spec]
    return lambda: kms.create_key(KeySpec=spec, KeyUsage=usage)


def _time(call: Callable[[], Any], calls: int, budget: float, rounds: int = 10) -> tuple[float, int]:
    """(seconds per call of the fastest of ``rounds`` rounds, calls made).

    The fastest round, not the median: on a shared machine, load only ever adds time.
    Stops early once ``budget`` seconds are spent (moto's RSA_4096 takes ~0.5 s a call).
    """
    for _ in range(3):  # warm-up (first calls load botocore's model, endpoints...)
        call()
    per_round = max(1, calls // rounds)
    samples: list[float] = []
    made = 0
    deadline = time.perf_counter() + budget
    for _ in range(rounds):
        start = time.perf_counter()
        n = 0
        while n < per_round:
            call()
            n += 1
            if time.perf_counter() > deadline:
                break
        samples.append((time.perf_counter() - start) / n)
        made += n
        if time.perf_counter() > deadline:
            break
    return min(samples), made


class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_: Any):
        yield self.body


def _canned_create_key(spec: str) -> bytes:
    """A valid CreateKey response body (as DescribeKey would list the key)."""
    key_id = "1234abcd-12ab-34cd-56ef-1234567890ab"
    metadata: dict[str, Any] = {
        "AWSAccountId": "123456789012",
        "KeyId": key_id,
        "Arn": f"arn:aws:kms:{REGION}:123456789012:key/{key_id}",
        "CreationDate": 1767225600.0,
        "Enabled": True,
        "Description": "",
        "KeyUsage": SPECS[spec],
        "KeyState": "Enabled",
        "Origin": "AWS_KMS",
        "KeyManager": "CUSTOMER",
        "KeySpec": spec,
        "MultiRegion": False,
    }
    return json.dumps({"KeyMetadata": metadata}).encode()


def _floor_client(spec: str):
    kms = boto3.client("kms", region_name=REGION)
    body = _canned_create_key(spec)

    def answer(request: Any, **_: Any) -> AWSResponse:
        return AWSResponse(request.url, 200, {"Content-Type": "application/x-amz-json-1.1"}, _Raw(body))

    kms.meta.events.register("before-send.kms", answer)
    return kms


def _moto() -> Any:
    try:
        from moto import mock_aws
    except ImportError:
        return None
    return mock_aws


def measure(spec: str, calls: int, budget: float, mock_aws: Any) -> dict[str, float | None]:
    """One spec, the contenders back to back (so machine-load drift hits them alike)."""
    results: dict[str, float | None] = {"floor": _time(_create(_floor_client(spec), spec), calls, budget)[0]}
    with mock_kms():
        results["mock_kms"] = _time(_create(boto3.client("kms", region_name=REGION), spec), calls, budget)[0]
    if mock_aws is not None:
        with mock_aws():
            try:
                results["moto"] = _time(_create(boto3.client("kms", region_name=REGION), spec), calls, budget)[0]
            except Exception:  # a spec this moto version does not know
                results["moto"] = None
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300, help="CreateKey calls per spec and contender")
    parser.add_argument("--budget", type=float, default=3.0, help="max seconds per spec and contender")
    args = parser.parse_args()
    mock_aws = _moto()
    header = f"{'KeySpec':<20}{'floor µs':>10}{'mock_kms µs':>13}{'x floor':>9}"
    if mock_aws is not None:
        header += f"{'moto µs':>12}{'x floor':>9}"
    print(header)
    for spec in SPECS:
        r = measure(spec, args.calls, args.budget, mock_aws)
        floor, ours = r["floor"], r["mock_kms"]
        line = f"{spec:<20}{floor * 1e6:>10.0f}{ours * 1e6:>13.0f}{ours / floor:>9.2f}"
        if mock_aws is not None:
            value = r["moto"]
            line += f"{value * 1e6:>12.0f}{value / floor:>9.2f}" if value is not None else f"{'n/a':>12}{'':>9}"
        print(line, flush=True)
    if mock_aws is None:
        print("(moto not importable: its column is left out)")


if __name__ == "__main__":
    main()
