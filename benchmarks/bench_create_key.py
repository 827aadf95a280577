"""CreateKey cost per key spec: mock_kms vs botocore's floor (and moto, when installed).

mock_kms generates key material lazily (on first use), so CreateKey should cost the same
for an RSA_4096 key as for a symmetric one. The floor is a boto3 client whose
``before-send.kms`` handler returns a canned, valid CreateKey response: the least any
wire-level mock can cost. moto's ``mock_aws`` is measured too if ``import moto`` works
(it generates key material eagerly); without moto the column is simply left out.

"Mock work" is measured directly too: ``handle_request()`` (the whole mock, without botocore)
per CreateKey of each spec, and, once, the first use of the key's material (when it is made).

Run: python benchmarks/bench_create_key.py [--calls 300] [--budget 3] [--quick] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Callable
from typing import Any

os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")

import boto3
from botocore.awsrequest import AWSResponse

from mock_kms import mock_kms

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
    from _common import TIMER as clock  # CPU time by default: see _common.py

    warm_until = time.perf_counter() + 0.5
    for _ in range(20):  # warm-up (first calls load botocore's model, endpoints...; caches settle)
        call()
        if time.perf_counter() > warm_until:  # moto's RSA_4096: ~0.5 s a call
            break
    per_round = max(1, calls // rounds)
    samples: list[float] = []
    made = 0
    deadline = time.perf_counter() + budget
    for _ in range(rounds):
        start = clock()
        n = 0
        while n < per_round:
            call()
            n += 1
            if time.perf_counter() > deadline:
                break
        samples.append((clock() - start) / n)
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
    """One spec, the contenders back to back (so machine-load drift hits them alike): the floor
    and mock_kms in alternating rounds (see _common.interleaved), then moto on a time budget."""
    from _common import interleaved

    with mock_kms():
        contenders = {
            "floor": _create(_floor_client(spec), spec),
            "mock_kms": _create(boto3.client("kms", region_name=REGION), spec),
        }
        timed = interleaved(contenders, rounds=10, batch=max(1, calls // 10))
    results: dict[str, float | None] = {name: timing["best"] for name, timing in timed.items()}
    if mock_aws is not None:
        with mock_aws():
            try:
                results["moto"] = _time(_create(boto3.client("kms", region_name=REGION), spec), calls, budget)[0]
            except Exception:  # a spec this moto version does not know
                results["moto"] = None
    return results


GOAL_MOCK_WORK = 1e-3  # every spec under 1 ms of mock work

# A first use of each spec's material, through the wire layer (makes the material).
_FIRST_USE = {
    "ENCRYPT_DECRYPT": ("Encrypt", lambda key_id: {"KeyId": key_id, "Plaintext": "AA=="}),
    "SIGN_VERIFY": ("GetPublicKey", lambda key_id: {"KeyId": key_id}),
    "GENERATE_VERIFY_MAC": ("GenerateMac", lambda key_id: {"KeyId": key_id, "Message": "AA==", "MacAlgorithm": "HMAC_SHA_512"}),
}


def mock_work(spec: str, calls: int) -> dict[str, float]:
    """CreateKey through ``handle_request()`` alone (best of rounds), and one first use."""
    from _common import AUTHORIZATION, best_of, target

    from mock_kms.wire.protocol import handle_request

    body = json.dumps({"KeySpec": spec, "KeyUsage": SPECS[spec]}).encode()
    create = target("CreateKey")
    with mock_kms() as mock:
        per_call = best_of(lambda: handle_request(mock, create, AUTHORIZATION, body), rounds=5, number=max(1, calls // 5))
        response = handle_request(mock, create, AUTHORIZATION, body)
        key_id = json.loads(response.body)["KeyMetadata"]["KeyId"]
        operation, params = _FIRST_USE[SPECS[spec]]
        start = time.perf_counter()
        used = handle_request(mock, target(operation), AUTHORIZATION, json.dumps(params(key_id)).encode())
        first_use = time.perf_counter() - start
        if used.status != 200:
            raise RuntimeError(used.body)
    return {"create": per_call, "first_use": first_use, "first_use_operation": operation}


def run(*, calls: int = 300, budget: float = 3.0, with_moto: bool = True) -> dict[str, Any]:
    mock_aws = _moto() if with_moto else None
    rows = {}
    for spec in SPECS:
        row: dict[str, Any] = measure(spec, calls, budget, mock_aws)
        row.update(mock_work(spec, calls))
        rows[spec] = row
    return {"moto": mock_aws is not None, "specs": rows}


def render(results: dict[str, Any]) -> str:
    from _common import ratio, us

    with_moto = results["moto"]
    lines = [
        "### CreateKey per key spec",
        "",
        ("Through boto3: best of 10 rounds per contender. *Mock work* = `handle_request()` alone per CreateKey "
        "(goal: under 1 ms for every spec, i.e. key material made lazily). *First use* = the first request that "
        "needs the material (made then, once per key), through `handle_request()`."),
        "",
        "| KeySpec | floor µs | mock_kms µs | × floor | mock work µs | goal < 1 ms |"
        + (" moto µs | × floor |" if with_moto else "")
        + " first use (operation) ms |",
        "|---|---:|---:|---:|---:|:---:|" + ("---:|---:|" if with_moto else "") + "---:|",
    ]
    for spec, row in results["specs"].items():
        floor = row["floor"]
        line = (
            f"| {spec} | {us(floor)} | {us(row['mock_kms'])} | {ratio(row['mock_kms'], floor)} | "
            f"{us(row['create'], 1)} | {'met' if row['create'] < GOAL_MOCK_WORK else 'not met'} |"
        )
        if with_moto:
            line += f" {us(row.get('moto'))} | {ratio(row.get('moto'), floor)} |"
        line += f" {row['first_use'] * 1e3:.1f} ({row['first_use_operation']}) |"
        lines.append(line)
    if not with_moto:
        lines += ["", "moto is not installed (`pip install -e '.[bench]'`): its columns are left out."]
    return "\n".join(lines)


def main() -> None:
    import sys

    from _common import warm_cpu

    warm_cpu()
    if "--json" in sys.argv[1:] or "--quick" in sys.argv[1:]:
        from _common import emit

        quick = "--quick" in sys.argv[1:]
        emit(run(calls=60 if quick else 300, budget=1.0 if quick else 3.0), render, sys.argv[1:])
        return
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
