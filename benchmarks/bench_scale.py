"""100,000 symmetric keys (AWS's per-Region quota): CreateKey and a full ListKeys listing.

Keys are created through the wire layer directly (``mock_kms.wire.protocol.handle_request``,
the function the botocore interceptor calls), not through boto3: 100,000 boto3 calls would
take ~30 s of botocore's own time. Every request is still decoded, validated, authorized,
journaled and encoded as usual. The listing pages through ListKeys (default page size 100,
so 1,000 requests at 100,000 keys) the way a paginator does.

Linearity: the time per key, of creating and of listing, at 10k, 50k and 100k keys. Memory:
``tracemalloc`` over the creation of a separate batch of keys, with the call journal (which
keeps every request) measured apart from the keys themselves.

Run: python benchmarks/bench_scale.py [--quick] [--json]
"""

from __future__ import annotations

import gc
import json
import sys
import tracemalloc
from typing import Any

from _common import AUTHORIZATION, TIMER, target

from mock_kms import mock_kms
from mock_kms.wire.protocol import handle_request

GOAL_BYTES_PER_KEY = 2048


def _create(mock: Any, count: int) -> None:
    create = target("CreateKey")
    for _ in range(count):
        response = handle_request(mock, create, AUTHORIZATION, b"{}")
        if response.status != 200:
            raise RuntimeError(response.body)


def _list_all(mock: Any, page_size: int | None) -> list[str]:
    list_keys = target("ListKeys")
    seen: list[str] = []
    params: dict[str, Any] = {"Limit": page_size} if page_size else {}
    while True:
        response = handle_request(mock, list_keys, AUTHORIZATION, json.dumps(params).encode())
        page = json.loads(response.body)
        if response.status != 200:
            raise RuntimeError(page)
        seen.extend(entry["KeyId"] for entry in page["Keys"])
        if not page["Truncated"]:
            return seen
        params["Marker"] = page["NextMarker"]


def run(*, checkpoints: tuple[int, ...] = (10_000, 50_000, 100_000), memory_keys: int = 20_000,
        page_size: int | None = None) -> dict[str, Any]:  # fmt: skip
    rows = []
    mock = mock_kms()
    mock.start()
    try:
        made = 0
        for checkpoint in checkpoints:
            start = TIMER()
            _create(mock, checkpoint - made)
            create_seconds = TIMER() - start
            created = checkpoint - made
            made = checkpoint
            start = TIMER()
            seen = _list_all(mock, page_size)
            list_seconds = TIMER() - start
            if len(seen) != made or len(set(seen)) != made:
                raise AssertionError(f"ListKeys listed {len(seen)} keys ({len(set(seen))} distinct), expected {made}")
            pages = -(-made // (page_size or 100))
            rows.append({"keys": made, "created": created, "create_seconds": create_seconds,
                         "list_seconds": list_seconds, "pages": pages})  # fmt: skip
    finally:
        mock.stop()
    return {"rows": rows, "page_size": page_size or 100, "memory": _memory(memory_keys)}


def _memory(count: int) -> dict[str, Any]:
    mock = mock_kms()
    mock.start()
    try:
        _create(mock, 50)  # first-use costs (region backend, caches) outside the measurement
        mock.calls.clear()
        gc.collect()
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            _create(mock, count)
            gc.collect()
            with_journal = tracemalloc.get_traced_memory()[0] - before
            mock.calls.clear()
            gc.collect()
            keys_only = tracemalloc.get_traced_memory()[0] - before
        finally:
            tracemalloc.stop()
    finally:
        mock.stop()
    return {
        "keys": count,
        "bytes_per_key": keys_only / count,
        "journal_bytes_per_call": (with_journal - keys_only) / count,
    }


def render(results: dict[str, Any]) -> str:
    memory = results["memory"]
    lines = [
        "### 100,000 keys",
        "",
        (
            "Keys created through `handle_request()` (the wire layer the interceptor calls) rather than boto3; "
            f"ListKeys paged with the default page size ({results['page_size']}) until `Truncated` is false, "
            "checking every key is listed once."
        ),
        "",
        "| keys | CreateKey µs/key (this batch) | full ListKeys µs/key | ListKeys requests | full listing s |",
        "|---:|---:|---:|---:|---:|",
    ]
    for row in results["rows"]:
        lines.append(
            f"| {row['keys']:,} | {row['create_seconds'] / row['created'] * 1e6:.1f} | "
            f"{row['list_seconds'] / row['keys'] * 1e6:.2f} | {row['pages']:,} | {row['list_seconds']:.2f} |"
        )
    per_key = memory["bytes_per_key"]
    lines += [
        "",
        (
            f"Memory (tracemalloc, {memory['keys']:,} keys): **{per_key:,.0f} bytes per key** "
            f"(goal < {GOAL_BYTES_PER_KEY:,}: {'met' if per_key < GOAL_BYTES_PER_KEY else 'not met'}); "
            f"the call journal adds {memory['journal_bytes_per_call']:,.0f} bytes per request it keeps "
            "(`kms_mock.calls.clear()` frees them)."
        ),
    ]
    return "\n".join(lines)


def main(argv: list[str]) -> None:
    from _common import emit, warm_cpu

    warm_cpu()
    if "--quick" in argv:
        results = run(checkpoints=(2_000, 5_000, 10_000), memory_keys=5_000)
    else:
        results = run()
    emit(results, render, argv)


if __name__ == "__main__":
    main(sys.argv[1:])
