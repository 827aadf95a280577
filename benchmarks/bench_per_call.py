"""Per-call cost of Encrypt, Decrypt, GenerateDataKey, Sign (ECC_NIST_P256) through boto3.

Three contenders, measured in alternating rounds (see ``_common.interleaved``):

* **floor** — a boto3 client whose ``before-send`` handler returns a canned, valid response
  (recorded from mock_kms itself, with the ``x-amzn-RequestId`` header every real response
  carries). Request serialization, signing and response parsing are all still done: this is
  the least any wire-level mock can cost.
* **mock_kms** — a boto3 client answered by the active mock.
* **moto** — moto's ``mock_aws``, when moto is installed (``pip install -e '.[bench]'``).

All three run in one process. The floor and mock_kms clients are created before moto is
imported (importing moto adds a hook to every client created afterwards).

Run: python benchmarks/bench_per_call.py [--quick] [--json]
"""

from __future__ import annotations

import base64
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import boto3
from _common import CREDENTIALS, REGION, interleaved, moto_mock_aws, ratio, us
from botocore.awsrequest import AWSResponse

from mock_kms import interception, mock_kms

OPERATIONS = ("Encrypt", "Decrypt", "GenerateDataKey", "Sign")
GOAL = 1.15  # mock_kms per call <= 1.15 x the floor
REQUEST_ID = "c6fb8ad0-3bcb-4a1d-9c0e-7a3d3bb1f2f5"


class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_: Any):
        yield self.body


def _floor_client(responses: dict[str, bytes]):
    client = boto3.client("kms", region_name=REGION, **CREDENTIALS)
    headers = {"Content-Type": "application/x-amz-json-1.1", "x-amzn-RequestId": REQUEST_ID}

    def answer(request: Any, **_: Any) -> AWSResponse:
        operation = request.headers["X-Amz-Target"].decode().split(".")[1]
        return AWSResponse(request.url, 200, headers, _Raw(responses[operation]))

    client.meta.events.register("before-send.kms", answer)
    return client


def _workload(kms: Any, key_id: str, sign_key_id: str) -> dict[str, Callable[[], Any]]:
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"x" * 64)["CiphertextBlob"]
    return {
        "Encrypt": lambda: kms.encrypt(KeyId=key_id, Plaintext=b"x" * 64),
        "Decrypt": lambda: kms.decrypt(CiphertextBlob=blob),
        "GenerateDataKey": lambda: kms.generate_data_key(KeyId=key_id, KeySpec="AES_256"),
        "Sign": lambda: kms.sign(KeyId=sign_key_id, Message=b"m", SigningAlgorithm="ECDSA_SHA_256"),
    }


def _keys(kms: Any) -> tuple[str, str]:
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    sign_key = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    return key_id, sign_key


@contextmanager
def _suspended(mock: Any) -> Iterator[None]:
    """mock_kms steps out of the way (state kept) so that moto answers KMS."""
    interception.deactivate(mock)
    try:
        yield
    finally:
        interception.activate(mock)


def _as_wire(response: dict) -> bytes:
    body = {k: v for k, v in response.items() if k != "ResponseMetadata"}
    return json.dumps(
        {k: base64.b64encode(v).decode() if isinstance(v, bytes) else v for k, v in body.items()}
    ).encode()


def run(*, rounds: int = 25, batch: int = 100, with_moto: bool = True) -> dict[str, Any]:
    mock = mock_kms()
    mock.start()
    moto = None
    try:
        kms = boto3.client("kms", region_name=REGION)
        ours = _workload(kms, *_keys(kms))
        # Canned answers for the floor: real responses recorded from the mock itself.
        canned = {name: _as_wire(call()) for name, call in ours.items()}
        floor = _workload(_floor_client(canned), "1234abcd-12ab-34cd-56ef-1234567890ab", "alias/sign")
        contenders: dict[str, dict[str, Callable[[], Any]]] = {name: {} for name in OPERATIONS}
        for name in OPERATIONS:
            contenders[name]["floor"] = floor[name]
            contenders[name]["mock_kms"] = ours[name]
        mock_aws = moto_mock_aws() if with_moto else None
        if mock_aws is not None:
            moto = mock_aws()
            moto.start()
            # While a mock_kms mock is active it answers KMS even under mock_aws: moto's rounds
            # run with it suspended (its state kept).
            with _suspended(mock):
                moto_kms = boto3.client("kms", region_name=REGION)
                calls_before = len(mock.calls)
                moto_work = _workload(moto_kms, *_keys(moto_kms))
                for name, call in moto_work.items():
                    try:
                        call()
                    except Exception:  # noqa: BLE001, S112 - an operation this moto version does not do
                        continue
                    contenders[name]["moto"] = call
            assert len(mock.calls) == calls_before, "moto's client must not reach mock_kms"
        around = {"moto": lambda: _suspended(mock)}
        results = {
            name: interleaved(contenders[name], rounds=rounds, batch=batch, around=around) for name in OPERATIONS
        }
        mock_calls = len(mock.calls)
    finally:
        if moto is not None:
            moto.stop()
        mock.stop()
    return {"rounds": rounds, "batch": batch, "moto": mock_aws is not None, "operations": results,
            "journal_records": mock_calls}  # fmt: skip


def render(results: dict[str, Any]) -> str:
    with_moto = results["moto"]
    lines = [
        "### Per-call cost through boto3",
        "",
        (
            f"Best of {results['rounds']} alternating rounds of {results['batch']} calls per contender "
            "(median-round ratio in brackets)."
        ),
        "",
        "| operation | floor µs | mock_kms µs | mock_kms × floor | goal ≤ 1.15× |"
        + (" moto µs | moto × floor |" if with_moto else ""),
        "|---|---:|---:|---:|:---:|" + ("---:|---:|" if with_moto else ""),
    ]
    for name, timings in results["operations"].items():
        floor, ours = timings["floor"], timings["mock_kms"]
        line = (
            f"| {name} | {us(floor['best'])} | {us(ours['best'])} | {ratio(ours['best'], floor['best'])} "
            f"({ratio(ours['median'], floor['median'])}) | {'met' if ours['best'] <= GOAL * floor['best'] else 'not met'} |"
        )
        if with_moto:
            moto = timings.get("moto")
            line += (
                f" {us(moto['best'])} | {ratio(moto['best'], floor['best'])} ({ratio(moto['median'], floor['median'])}) |"
                if moto
                else " n/a | n/a |"
            )
        lines.append(line)
    if not with_moto:
        lines += ["", "moto is not installed (`pip install -e '.[bench]'`): its columns are left out."]
    return "\n".join(lines)


def main(argv: list[str]) -> None:
    from _common import emit, warm_cpu

    warm_cpu()
    quick = "--quick" in argv
    results = run(rounds=6 if quick else 25, batch=40 if quick else 100, with_moto="--no-moto" not in argv)
    emit(results, render, argv)


if __name__ == "__main__":
    main(sys.argv[1:])
