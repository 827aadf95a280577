"""Per-call overhead of mock_kms vs botocore's own floor (and moto, when installed).

The floor is a botocore client whose ``before-send`` handler returns a canned, valid response:
the least any wire-level mock can cost. All figures are measured side by side in one run and
reported as ratios, because absolute times on shared machines are noisy.

Run: python benchmarks/bench_per_call.py [--calls 2000]
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import statistics
import time
from typing import Any, Callable

os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")

import boto3  # noqa: E402
from botocore.awsrequest import AWSResponse  # noqa: E402

from mock_kms import mock_kms  # noqa: E402

REGION = "us-east-1"


class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_: Any):
        yield self.body


def _floor_client(responses: dict[str, bytes]):
    client = boto3.client("kms", region_name=REGION)

    def answer(request, **_: Any) -> AWSResponse:
        operation = request.headers["X-Amz-Target"].decode().split(".")[1]
        return AWSResponse(request.url, 200, {"Content-Type": "application/x-amz-json-1.1"}, _Raw(responses[operation]))

    client.meta.events.register("before-send.kms", answer)
    return client


def _workload(kms, key_id: str, sign_key_id: str) -> dict[str, Callable[[], Any]]:
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"x" * 64)["CiphertextBlob"]
    return {
        "Encrypt": lambda: kms.encrypt(KeyId=key_id, Plaintext=b"x" * 64),
        "Decrypt": lambda: kms.decrypt(CiphertextBlob=blob),
        "GenerateDataKey": lambda: kms.generate_data_key(KeyId=key_id, KeySpec="AES_256"),
        "Sign": lambda: kms.sign(KeyId=sign_key_id, Message=b"m", SigningAlgorithm="ECDSA_SHA_256"),
    }


def _time(call: Callable[[], Any], calls: int, rounds: int = 5) -> float:
    """Median seconds per call over several rounds."""
    for _ in range(50):
        call()
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(calls // rounds):
            call()
        samples.append((time.perf_counter() - start) / (calls // rounds))
    return statistics.median(samples)


def measure_mock_kms(calls: int) -> tuple[dict[str, float], dict[str, bytes]]:
    with mock_kms():
        kms = boto3.client("kms", region_name=REGION)
        key_id = kms.create_key()["KeyMetadata"]["KeyId"]
        sign_key = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
        work = _workload(kms, key_id, sign_key)
        # Canned answers for the floor: real responses recorded from the mock itself.
        canned = {}
        for name, call in work.items():
            canned[name] = _as_wire(call())
        canned["Encrypt"] = _as_wire(kms.encrypt(KeyId=key_id, Plaintext=b"x"))
        return {name: _time(call, calls) for name, call in work.items()}, canned


def _as_wire(response: dict) -> bytes:
    body = {k: v for k, v in response.items() if k != "ResponseMetadata"}
    return json.dumps({k: base64.b64encode(v).decode() if isinstance(v, bytes) else v for k, v in body.items()}).encode()


def measure_floor(calls: int, canned: dict[str, bytes]) -> dict[str, float]:
    kms = _floor_client(canned)
    work = _workload(kms, "1234abcd-12ab-34cd-56ef-1234567890ab", "1234abcd-12ab-34cd-56ef-1234567890ab")
    return {name: _time(call, calls) for name, call in work.items()}


def measure_moto(calls: int) -> dict[str, float] | None:
    try:
        from moto import mock_aws
    except ImportError:
        return None
    with mock_aws():
        kms = boto3.client("kms", region_name=REGION)
        key_id = kms.create_key()["KeyMetadata"]["KeyId"]
        sign_key = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
        return {name: _time(call, calls) for name, call in _workload(kms, key_id, sign_key).items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args()
    ours, canned = measure_mock_kms(args.calls)
    floor = measure_floor(args.calls, canned)
    moto = measure_moto(args.calls)
    print(f"{'operation':<18}{'floor µs':>10}{'mock_kms µs':>13}{'ratio':>8}" + (f"{'moto µs':>10}{'ratio':>8}" if moto else ""))
    for name in ours:
        line = f"{name:<18}{floor[name] * 1e6:>10.0f}{ours[name] * 1e6:>13.0f}{ours[name] / floor[name]:>8.2f}"
        if moto:
            line += f"{moto[name] * 1e6:>10.0f}{moto[name] / floor[name]:>8.2f}"
        print(line)
    if moto is None:
        print("(moto not installed: pip install -e '.[bench]' to compare)")


if __name__ == "__main__":
    main()
