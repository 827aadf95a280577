"""8 threads sharing one mock: throughput, and no lost update.

Each thread has its own boto3 client (as threaded code usually does) and runs the same mix
against one shared mock: CreateKey, Encrypt and Decrypt of a shared key, and a TagResource
on the shared key with a tag of its own. Afterwards every key, tag and journal record must be
there: a lost update (two requests interleaving inside the mock) would show as a missing key,
tag or record, or as a Decrypt that does not return the plaintext.

The same mix is run by 1 thread for comparison. Python threads share one interpreter lock and
the mock serializes requests on one lock, so total throughput is not expected to grow with
threads; it must not collapse either (no lock convoy, no busy waiting).

Run: python benchmarks/bench_threads.py [--quick] [--json]
"""

from __future__ import annotations

import sys
import threading
import time
from typing import Any

import boto3
from _common import CREDENTIALS, REGION

from mock_kms import mock_kms

CALLS_PER_ITERATION = 4  # CreateKey, Encrypt, Decrypt, TagResource (TagResource while tags last)
TAGS_PER_THREAD = 5  # 8 threads x 5 tags stays under the 50-tags-per-key quota


def _run(threads: int, iterations: int) -> dict[str, Any]:
    with mock_kms() as mock:
        kms = boto3.client("kms", region_name=REGION)
        key_id = kms.create_key()["KeyMetadata"]["KeyId"]
        clients = [boto3.client("kms", region_name=REGION) for _ in range(threads)]
        for client in clients:  # warm up each client (first-call costs), outside the timing
            client.describe_key(KeyId=key_id)
        errors: list[BaseException] = []
        made = [0] * threads
        barrier = threading.Barrier(threads + 1)

        def work(worker: int) -> None:
            client = clients[worker]
            barrier.wait()
            try:
                for i in range(iterations):
                    client.create_key(Description=f"{worker}-{i}")
                    plaintext = b"%d-%d" % (worker, i)
                    blob = client.encrypt(KeyId=key_id, Plaintext=plaintext)["CiphertextBlob"]
                    if client.decrypt(CiphertextBlob=blob)["Plaintext"] != plaintext:
                        raise AssertionError("Decrypt returned another plaintext")
                    made[worker] += 3
                    if i < TAGS_PER_THREAD:
                        client.tag_resource(KeyId=key_id, Tags=[{"TagKey": f"t{worker}-{i}", "TagValue": "v"}])
                        made[worker] += 1
            except BaseException as error:  # noqa: BLE001 - reported below
                errors.append(error)

        workers = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
        for worker in workers:
            worker.start()
        mock.calls.clear()
        barrier.wait()
        start = time.perf_counter()
        for worker in workers:
            worker.join()
        seconds = time.perf_counter() - start
        calls = sum(made)
        journal = sum(1 for record in mock.calls if record.request_id)
        keys = sum(1 for page in kms.get_paginator("list_keys").paginate() for _ in page["Keys"])
        tags = len(kms.list_resource_tags(KeyId=key_id, Limit=50)["Tags"])
        lost = {
            "keys": (1 + threads * iterations) - keys,
            "tags": threads * min(TAGS_PER_THREAD, iterations) - tags,
            "journal": calls - journal,
        }
    return {"threads": threads, "calls": calls, "seconds": seconds, "errors": [repr(e) for e in errors], "lost": lost}


class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_: Any):
        yield self.body


_KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
_CANNED = {
    "CreateKey": {"KeyMetadata": {"KeyId": _KEY_ARN[-36:], "Arn": _KEY_ARN, "AWSAccountId": "123456789012"}},
    "Encrypt": {"CiphertextBlob": "AQID", "KeyId": _KEY_ARN, "EncryptionAlgorithm": "SYMMETRIC_DEFAULT"},
    "Decrypt": {"Plaintext": "AQID", "KeyId": _KEY_ARN, "EncryptionAlgorithm": "SYMMETRIC_DEFAULT"},
    "TagResource": {},
}


def _floor(threads: int, iterations: int) -> dict[str, Any]:
    """The same mix answered by a canned ``before-send`` handler: botocore's own threading cost."""
    import json

    from botocore.awsrequest import AWSResponse

    bodies = {name: json.dumps(body).encode() for name, body in _CANNED.items()}
    headers = {"Content-Type": "application/x-amz-json-1.1", "x-amzn-RequestId": "c6fb8ad0-3bcb-4a1d-9c0e-7a3d3bb1f2f5"}

    def answer(request: Any, **_: Any) -> AWSResponse:
        operation = request.headers["X-Amz-Target"].decode().split(".")[1]
        return AWSResponse(request.url, 200, headers, _Raw(bodies[operation]))

    clients = []
    for _ in range(threads):
        client = boto3.client("kms", region_name=REGION, **CREDENTIALS)
        client.meta.events.register("before-send.kms", answer)
        client.encrypt(KeyId="k", Plaintext=b"warm-up")
        clients.append(client)
    barrier = threading.Barrier(threads + 1)
    made = [0] * threads

    def work(worker: int) -> None:
        client = clients[worker]
        barrier.wait()
        for i in range(iterations):
            client.create_key(Description=f"{worker}-{i}")
            blob = client.encrypt(KeyId="k", Plaintext=b"p")["CiphertextBlob"]
            client.decrypt(CiphertextBlob=blob)
            made[worker] += 3
            if i < TAGS_PER_THREAD:
                client.tag_resource(KeyId="k", Tags=[{"TagKey": f"t{worker}-{i}", "TagValue": "v"}])
                made[worker] += 1

    workers = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    barrier.wait()
    start = time.perf_counter()
    for worker in workers:
        worker.join()
    return {"threads": threads, "calls": sum(made), "seconds": time.perf_counter() - start}


def run(*, iterations: int = 150) -> dict[str, Any]:
    # The same number of iterations in total: 8 x iterations, or 1 thread x 8 x iterations.
    return {
        "floor_single": _floor(1, iterations * 8),
        "floor_eight": _floor(8, iterations),
        "single": _run(1, iterations * 8),
        "eight": _run(8, iterations),
    }


def render(results: dict[str, Any]) -> str:
    lines = [
        "### Concurrency: 8 threads sharing one mock",
        "",
        (
            "Each thread: its own boto3 client; CreateKey + Encrypt + Decrypt of a shared key per iteration, "
            "plus TagResource of the shared key (5 per thread). Lost updates = expected − found "
            "(keys, tags on the shared key, journal records). The floor runs the same mix against canned "
            "`before-send` answers: what Python threads and botocore cost by themselves."
        ),
        "",
        (
            "| contender | threads | calls | seconds | calls/s | × 1-thread calls/s | errors | lost keys | lost tags "
            "| lost journal records |"
        ),
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, single, row in (
        ("floor", results["floor_single"], results["floor_single"]),
        ("floor", results["floor_single"], results["floor_eight"]),
        ("mock_kms", results["single"], results["single"]),
        ("mock_kms", results["single"], results["eight"]),
    ):
        rate = row["calls"] / row["seconds"]
        base = single["calls"] / single["seconds"]
        lost = row.get("lost")
        checks = (
            f"{len(row['errors'])} | {lost['keys']} | {lost['tags']} | {lost['journal']}" if lost else "– | – | – | –"
        )
        lines.append(
            f"| {name} | {row['threads']} | {row['calls']:,} | {row['seconds']:.2f} | {rate:,.0f} | "
            f"{rate / base:.2f} | {checks} |"
        )
    return "\n".join(lines)


def main(argv: list[str]) -> None:
    from _common import emit, warm_cpu

    warm_cpu()
    emit(run(iterations=30 if "--quick" in argv else 150), render, argv)


if __name__ == "__main__":
    main(sys.argv[1:])
