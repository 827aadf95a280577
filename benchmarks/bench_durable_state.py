"""What durable state costs per request (mock_kms/persistence.py), by size of the store.

Side by side, in alternating rounds (``_common.interleaved``), on the wire path the server and
the interceptor share (``wire.protocol.handle``; no HTTP, no botocore):

- ``memory``:  a mock without a state file;
- ``durable``: the same with ``make_durable`` (every success is fsync'ed to disk first);

for a request that changes state (Encrypt: it notes the key's last usage, so every Encrypt
writes a snapshot) and one that does not (DescribeKey: the snapshot is encoded, found equal to
the file, and not written), with 0, 100 and 1,000 other keys in the store. The floor is the
fsync'ed atomic replace of a 1 kB file alone: what any durable scheme pays per acknowledgement.

Wall-clock time (fsync waits for the disk; CPU time would hide it).

Run: python benchmarks/bench_durable_state.py [--quick] [--json]
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from typing import Any

from _common import REGION, interleaved

from mock_kms import KmsMock
from mock_kms.mock import MOCK_ACCESS_KEY_ID
from mock_kms.persistence import make_durable, replace_durably
from mock_kms.wire.protocol import handle

HEADERS = {"Authorization": f"AWS4-HMAC-SHA256 Credential={MOCK_ACCESS_KEY_ID}/20260101/{REGION}/kms/aws4_request"}


def _call(mock: KmsMock, operation: str, payload: dict[str, Any]) -> dict[str, Any]:
    response = handle(mock, {**HEADERS, "X-Amz-Target": f"TrentService.{operation}"}, json.dumps(payload).encode())
    assert response.status == 200, response.body
    return json.loads(response.body)


def _store(keys: int) -> tuple[KmsMock, str]:
    mock = KmsMock()
    for _ in range(keys):
        key_id = _call(mock, "CreateKey", {})["KeyMetadata"]["KeyId"]
        _call(mock, "Encrypt", {"KeyId": key_id, "Plaintext": "eA=="})
    key_id = _call(mock, "CreateKey", {})["KeyMetadata"]["KeyId"]
    _call(mock, "Encrypt", {"KeyId": key_id, "Plaintext": "eA=="})
    return mock, key_id


def measure(keys: int, rounds: int, batch: int, directory: str) -> dict[str, Any]:
    memory, memory_key = _store(keys)
    durable, durable_key = _store(keys)
    make_durable(durable, os.path.join(directory, f"kms-{keys}.json"))
    encrypt = {"Plaintext": "aGVsbG8="}
    results = interleaved(
        {
            "memory Encrypt": lambda: _call(memory, "Encrypt", {**encrypt, "KeyId": memory_key}),
            "durable Encrypt": lambda: _call(durable, "Encrypt", {**encrypt, "KeyId": durable_key}),
            "memory DescribeKey": lambda: _call(memory, "DescribeKey", {"KeyId": memory_key}),
            "durable DescribeKey": lambda: _call(durable, "DescribeKey", {"KeyId": durable_key}),
        },
        rounds=rounds,
        batch=batch,
        warmup=3,
    )
    size = os.path.getsize(os.path.join(directory, f"kms-{keys}.json"))
    return {"keys": keys + 1, "file_bytes": size, **{name: value["best"] for name, value in results.items()}}


def fsync_floor(directory: str, rounds: int = 50) -> float:
    target, temporary, content = (
        os.path.join(directory, "floor.json"),
        os.path.join(directory, "floor.tmp"),
        b"x" * 1024,
    )
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        replace_durably(temporary, target, content)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    import _common

    _common.TIMER = time.perf_counter  # fsync is waiting, not computing: wall-clock time
    quick = "--quick" in sys.argv
    sizes = (0, 100) if quick else (0, 100, 1000)
    with tempfile.TemporaryDirectory() as directory:
        floor = fsync_floor(directory)
        rows = [
            measure(keys, rounds=3 if quick else 5, batch=5 if quick else 20, directory=directory) for keys in sizes
        ]
    if "--json" in sys.argv:
        print(json.dumps({"fsync_floor": floor, "sizes": rows}))
        return
    print(f"fsync'ed atomic replace of a 1 kB file (the floor of any durable acknowledgement): {floor * 1e3:.2f} ms\n")
    print(
        "| keys in store | state file | Encrypt memory | Encrypt durable | DescribeKey memory | DescribeKey durable |"
    )
    print("|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        print(
            f"| {row['keys']} | {row['file_bytes'] / 1024:.0f} kB | {row['memory Encrypt'] * 1e3:.2f} ms "
            f"| {row['durable Encrypt'] * 1e3:.2f} ms | {row['memory DescribeKey'] * 1e3:.2f} ms "
            f"| {row['durable DescribeKey'] * 1e3:.2f} ms |"
        )


if __name__ == "__main__":
    main()
