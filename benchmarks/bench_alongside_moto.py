"""What mock_kms costs next to moto's ``mock_aws`` (mock_kms/moto_compat.py).

* **Per call** (Encrypt, Decrypt), in alternating rounds (see ``_common.interleaved``), with
  mock_kms and moto both active: the floor; mock_kms for a client created before moto was
  imported (no moto hook); mock_kms for a client created after (moto's ``before-send`` hook runs
  first and steps aside for KMS).
* **Activation**: ``with mock_kms(): pass`` before moto is imported, and after (each activation
  then patches moto and the last stop restores it).

Run: python benchmarks/bench_alongside_moto.py [--quick] [--json]
"""

from __future__ import annotations

import sys
from typing import Any

import boto3
from _common import REGION, best_of, interleaved, moto_mock_aws, ratio, us
from bench_per_call import _as_wire, _floor_client, _keys, _workload

from mock_kms import mock_kms

OPERATIONS = ("Encrypt", "Decrypt")


def _activation() -> float:
    return best_of(lambda: mock_kms().__enter__().__exit__(None, None, None), rounds=5, number=300)


def run(*, rounds: int = 25, batch: int = 100) -> dict[str, Any]:
    activation_alone = _activation()
    mock = mock_kms().start()
    moto = None
    try:
        kms = boto3.client("kms", region_name=REGION)
        ours = _workload(kms, *_keys(kms))
        canned = {name: _as_wire(ours[name]()) for name in OPERATIONS}
        floor = _workload(_floor_client(canned), "1234abcd-12ab-34cd-56ef-1234567890ab", "alias/sign")
        mock_aws = moto_mock_aws()
        if mock_aws is None:
            return {"moto": False}
        moto = mock_aws()
        moto.start()
        later = boto3.client("kms", region_name=REGION)  # carries moto's before-send hook
        alongside = _workload(later, *_keys(later))
        calls_before = len(mock.calls)
        alongside["Encrypt"]()
        assert len(mock.calls) == calls_before + 1, "under mock_aws, mock_kms answers KMS"
        results = {
            name: interleaved(
                {"floor": floor[name], "mock_kms": ours[name], "mock_kms under mock_aws": alongside[name]},
                rounds=rounds,
                batch=batch,
            )
            for name in OPERATIONS
        }
    finally:
        if moto is not None:
            moto.stop()
        mock.stop()
    return {
        "moto": True,
        "rounds": rounds,
        "batch": batch,
        "operations": results,
        "activation_alone": activation_alone,
        "activation_moto_loaded": _activation(),
    }


def render(results: dict[str, Any]) -> str:
    if not results["moto"]:
        return "moto is not installed (`pip install -e '.[bench]'`): nothing to measure."
    lines = [
        "### mock_kms next to moto's mock_aws",
        "",
        f"Best of {results['rounds']} alternating rounds of {results['batch']} calls (median-round ratio in brackets).",
        "",
        "| operation | floor µs | mock_kms µs | × floor | under mock_aws µs | × floor |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, timings in results["operations"].items():
        floor, ours, alongside = timings["floor"], timings["mock_kms"], timings["mock_kms under mock_aws"]
        lines.append(
            f"| {name} | {us(floor['best'])} | {us(ours['best'])} | {ratio(ours['best'], floor['best'])} "
            f"({ratio(ours['median'], floor['median'])}) | {us(alongside['best'])} | "
            f"{ratio(alongside['best'], floor['best'])} ({ratio(alongside['median'], floor['median'])}) |"
        )
    lines += [
        "",
        f"Activation (`with mock_kms(): pass`): {us(results['activation_alone'], 1)} µs before moto is imported, "
        f"{us(results['activation_moto_loaded'], 1)} µs with moto loaded.",
    ]
    return "\n".join(lines)


def main(argv: list[str]) -> None:
    from _common import emit, warm_cpu

    warm_cpu()
    quick = "--quick" in argv
    emit(run(rounds=6 if quick else 25, batch=40 if quick else 100), render, argv)


if __name__ == "__main__":
    main(sys.argv[1:])
