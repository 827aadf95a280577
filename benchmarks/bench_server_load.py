"""Load on one ``mock-kms serve``: N client processes x M mixed requests, then a full check.

Each configuration starts its own server on 127.0.0.1 (a free port) and N client processes,
each with its own boto3 client, that wait on one start signal and then run M requests
(bounded also by a time limit) of a mix: CreateKey, Encrypt x2, Decrypt, GenerateDataKey,
DescribeKey, CreateAlias, ListAliases. Afterwards every key any client saw acknowledged must be
listed by ListKeys and every acknowledged ciphertext must decrypt — a lost or corrupted write
fails the run.

Configurations, side by side in one run:
- ``memory``:             ``mock-kms serve`` (state in memory only)
- ``durable``:            ``--state FILE`` (every success fsync'ed to disk before it is answered)
- ``durable, 500 keys``:  the same, starting from a state file that already holds 500 keys
                          (the snapshot is the whole state: its cost grows with the store)
- ``verified``:           ``--verify-signatures`` (SigV4 checked on every request)
- ``durable + verified``: both

Run: python benchmarks/bench_server_load.py [--quick] [--json] [--clients N] [--requests M]
"""

from __future__ import annotations

import json
import multiprocessing
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
from typing import Any

from _common import REGION

from mock_kms.mock import MOCK_ACCESS_KEY_ID, MOCK_SECRET_ACCESS_KEY

TIME_LIMIT = 120.0  # seconds per configuration, whatever M is


def _client_process(url: str, requests: int, ready: Any, start: Any, results: Any, number: int) -> None:
    import boto3
    from botocore.config import Config

    kms = boto3.client(
        "kms",
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id=MOCK_ACCESS_KEY_ID,
        aws_secret_access_key=MOCK_SECRET_ACCESS_KEY,
        config=Config(retries={"total_max_attempts": 1}, max_pool_connections=1),
    )
    kms.list_keys(Limit=1)  # connection and first-call costs, outside the timing
    ready.put(number)
    start.wait()
    acknowledged: list[tuple[str, bytes]] = []
    done = errors = 0
    deadline = time.monotonic() + TIME_LIMIT
    key_id = None
    step = 0
    while done < requests and time.monotonic() < deadline:
        try:
            kind = step % 8
            if kind == 0 or key_id is None:
                key_id = kms.create_key()["KeyMetadata"]["KeyId"]
            elif kind in (1, 2):
                blob = kms.encrypt(KeyId=key_id, Plaintext=f"{number}-{step}".encode())["CiphertextBlob"]
                acknowledged.append((key_id, blob))
            elif kind == 3:
                kms.decrypt(CiphertextBlob=acknowledged[-1][1])
            elif kind == 4:
                kms.generate_data_key(KeyId=key_id, KeySpec="AES_256")
            elif kind == 5:
                kms.describe_key(KeyId=key_id)
            elif kind == 6:
                kms.create_alias(AliasName=f"alias/load-{number}-{step}", TargetKeyId=key_id)
            else:
                kms.list_aliases(Limit=10)
            done += 1
        except Exception:  # counted, and the run is reported as failed
            errors += 1
        step += 1
    results.put({"done": done, "errors": errors, "acknowledged": acknowledged, "finished": time.perf_counter()})


def _serve(*args: str) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "mock_kms", "serve", "--port", "0", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    for line in process.stderr:
        if "listening on " in line:
            url = line.split("listening on ", 1)[1].split()[0]
            threading.Thread(target=lambda: process.stderr.read(), daemon=True).start()  # drain the log
            return process, url
    raise RuntimeError(f"mock-kms serve did not start (exit {process.wait()})")


def _preload(path: str, keys: int) -> None:
    """A state file holding ``keys`` keys, each with its material made (as after a day of use)."""
    from mock_kms import KmsMock
    from mock_kms.wire.protocol import handle

    mock = KmsMock()
    headers = {"Authorization": f"AWS4-HMAC-SHA256 Credential={MOCK_ACCESS_KEY_ID}/20260101/{REGION}/kms/aws4_request"}
    for _ in range(keys):
        made = handle(mock, {**headers, "X-Amz-Target": "TrentService.CreateKey"}, b"{}")
        key_id = json.loads(made.body)["KeyMetadata"]["KeyId"]
        body = json.dumps({"KeyId": key_id, "Plaintext": "cHJlbG9hZA=="}).encode()
        handle(mock, {**headers, "X-Amz-Target": "TrentService.Encrypt"}, body)
    mock.save(path)


def _check(url: str, acknowledged: list[tuple[str, bytes]]) -> int:
    """Every acknowledged key is listed and every acknowledged ciphertext decrypts."""
    import boto3

    kms = boto3.client(
        "kms",
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id=MOCK_ACCESS_KEY_ID,
        aws_secret_access_key=MOCK_SECRET_ACCESS_KEY,
    )
    listed = set()
    for page in kms.get_paginator("list_keys").paginate():
        listed.update(key["KeyId"] for key in page["Keys"])
    for key_id, blob in acknowledged:
        if key_id not in listed:
            raise AssertionError(f"acknowledged key {key_id} is missing")
        if kms.decrypt(CiphertextBlob=blob)["KeyId"].rsplit("/", 1)[1] != key_id:
            raise AssertionError(f"a ciphertext of {key_id} decrypts under another key")
    return len(listed)


def run(name: str, args: list[str], clients: int, requests: int, preload: int = 0) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as directory:
        args = [a.replace("{dir}", directory) for a in args]
        if preload:
            _preload(os.path.join(directory, "kms.json"), preload)
        process, url = _serve(*args)
        try:
            context = multiprocessing.get_context("spawn")
            ready, start, results = context.Queue(), context.Event(), context.Queue()
            workers = [
                context.Process(target=_client_process, args=(url, requests, ready, start, results, n))
                for n in range(clients)
            ]
            for worker in workers:
                worker.start()
            for _ in workers:  # every client has imported boto3 and made its first call
                ready.get(timeout=120)
            began = time.perf_counter()
            start.set()
            outcomes = []
            for _ in workers:
                try:
                    outcomes.append(results.get(timeout=TIME_LIMIT + 60))
                except queue.Empty:
                    raise RuntimeError("a client process did not report") from None
            for worker in workers:
                worker.join()
            elapsed = max(outcome["finished"] for outcome in outcomes) - began
            acknowledged = [item for outcome in outcomes for item in outcome["acknowledged"]]
            listed = _check(url, acknowledged)
        finally:
            process.terminate()
            process.wait(30)
    done = sum(outcome["done"] for outcome in outcomes)
    return {
        "name": name,
        "clients": clients,
        "requests": done,
        "errors": sum(outcome["errors"] for outcome in outcomes),
        "seconds": elapsed,
        "requests_per_second": done / elapsed,
        "keys_listed": listed,
        "ciphertexts_checked": len(acknowledged),
    }


def main() -> None:
    quick = "--quick" in sys.argv
    clients = int(_option("--clients", "4"))
    requests = int(_option("--requests", "40" if quick else "400"))
    state = ["--state", "{dir}/kms.json"]
    configurations = [
        ("memory", [], 0),
        ("durable", state, 0),
        ("durable, 500 keys", state, 500),
        ("verified", ["--verify-signatures"], 0),
        ("durable + verified", [*state, "--verify-signatures"], 0),
    ]
    results = [run(name, args, clients, requests, preload) for name, args, preload in configurations]
    if "--json" in sys.argv:
        print(json.dumps({"load": results}))
        return
    base = results[0]["requests_per_second"]
    print(f"{clients} client processes x {requests} mixed requests against one mock-kms serve (127.0.0.1)\n")
    print("| configuration | requests | errors | requests/s | vs memory | keys listed | ciphertexts checked |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for result in results:
        print(
            f"| {result['name']} | {result['requests']} | {result['errors']} | {result['requests_per_second']:.0f} "
            f"| {result['requests_per_second'] / base:.2f} x | {result['keys_listed']} | {result['ciphertexts_checked']} |"
        )


def _option(name: str, default: str) -> str:
    if name in sys.argv:
        return sys.argv[sys.argv.index(name) + 1]
    return default


if __name__ == "__main__":
    main()
