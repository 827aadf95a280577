"""Every benchmark of mock_kms, side by side, in one run: ``python benchmarks/run_all.py``.

Each benchmark runs in its own fresh process (so that one's imports, caches and garbage do
not weigh on the next) and reports JSON; this script prints one Markdown report: the machine,
then per-call cost, profile, cold start, CreateKey per spec, 100,000 keys, concurrency, whole
pytest suites and RSA keys from the pool.

Options:
  --quick         smaller runs (a minute instead of several): for a smoke test, not for figures
  --write         also put the report into BENCHMARKS.md, between its "results" markers
                  (the notes around them are kept)
  --only a,b      only these benchmarks (per_call, profile, cold_start, create_key, scale, threads,
                  wildcards, suite, rsa_pool)

moto is compared when it is importable (``pip install -e '.[bench]'``); mock_kms never imports it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import _common  # noqa: E402  (found through the sys.path entry above)

BENCHMARKS = {
    "per_call": "bench_per_call",
    "profile": "profile_per_call",
    "cold_start": "bench_cold_start",
    "create_key": "bench_create_key",
    "scale": "bench_scale",
    "threads": "bench_threads",
    "wildcards": "bench_wildcards",
    "suite": "bench_suite",
    "rsa_pool": "bench_rsa_pool",
}
START = "<!-- results:start (written by benchmarks/run_all.py --write) -->"
END = "<!-- results:end -->"


def _run(module: str, quick: bool) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    command = [sys.executable, str(HERE / f"{module}.py"), "--json"] + (["--quick"] if quick else [])
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{module} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _machine_section(machine: dict[str, Any], seconds: float, quick: bool) -> str:
    load = machine["load_average"]
    return "\n".join(
        [
            (
                f"Measured {machine['date']} on {machine['cpus']} CPUs ({machine['cpu']}), {machine['platform']}; "
                f"Python {machine['python']}, botocore {machine['botocore_version']}, boto3 {machine['boto3_version']}, "
                f"cryptography {machine['cryptography_version']}, moto {machine['moto_version']}. "
                f"Load average at start: {', '.join(map(str, load)) if load else 'n/a'}. "
                f"Whole run: {seconds:.0f} s{' (--quick: smoke-test sizes, not for figures)' if quick else ''}."
            ),
        ]
    )


def main(argv: list[str]) -> None:
    quick = "--quick" in argv
    only = None
    if "--only" in argv:
        only = argv[argv.index("--only") + 1].split(",")
        unknown = set(only) - set(BENCHMARKS)
        if unknown:
            raise SystemExit(f"unknown benchmarks: {sorted(unknown)}; known: {list(BENCHMARKS)}")
    machine = _common.machine()
    start = time.perf_counter()
    sections = []
    for name, module in BENCHMARKS.items():
        if only is not None and name not in only:
            continue
        print(f"running {module} ...", file=sys.stderr, flush=True)
        results = _run(module, quick)
        sections.append(__import__(module).render(results))
    report = "\n\n".join([_machine_section(machine, time.perf_counter() - start, quick), *sections]) + "\n"
    print(report)
    if "--write" in argv:
        _write(ROOT / "BENCHMARKS.md", report)
        print(f"written to {ROOT / 'BENCHMARKS.md'}", file=sys.stderr)


def _write(path: Path, report: str) -> None:
    text = path.read_text() if path.exists() else f"# Benchmarks\n\n{START}\n{END}\n"
    if START not in text or END not in text:
        text = text.rstrip("\n") + f"\n\n{START}\n{END}\n"
    before, rest = text.split(START, 1)
    _, after = rest.split(END, 1)
    path.write_text(f"{before}{START}\n{report}{END}{after}")


if __name__ == "__main__":
    main(sys.argv[1:])
