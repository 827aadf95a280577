"""What the benchmarks share: timing that survives a noisy machine, wire requests, machine facts.

Timing rule: contenders are measured in *alternating* rounds (floor, mock_kms, moto, floor, …)
so that a change in machine load hits them alike, and the figure kept for each is its best
round — on a shared machine, load only ever adds time. Ratios between contenders measured
this way are far steadier than absolute times.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run from a clean checkout without installing
    sys.path.insert(0, str(ROOT))

REGION = "us-east-1"
ACCESS_KEY = "AKIABENCHMARK0000000"
SECRET_KEY = "benchmark-secret"
# For plain boto3 clients (the floor), which no mock supplies credentials to.
CREDENTIALS = {"aws_access_key_id": ACCESS_KEY, "aws_secret_access_key": SECRET_KEY}
AUTHORIZATION = (
    f"AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/20260101/{REGION}/kms/aws4_request, "
    "SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=" + "0" * 64
)


# CPU time of this process: unlike wall-clock time it excludes the time the machine gives to
# other processes (or, on a VM, to other guests), the main noise on a shared machine. Every
# benchmarked call is CPU-bound and single-threaded, so nothing it does is left out.
# MOCK_KMS_BENCH_TIMER=perf_counter switches to wall-clock time.
TIMER = getattr(time, os.environ.get("MOCK_KMS_BENCH_TIMER", "process_time"))


def interleaved(
    contenders: dict[str, Callable[[], Any]],
    *,
    rounds: int,
    batch: int,
    warmup: int = 20,
    around: dict[str, Callable[[], AbstractContextManager[Any]]] | None = None,
) -> dict[str, dict[str, float]]:
    """Seconds per call of each contender, measured in alternating rounds of ``batch`` calls:
    ``{name: {"best": best round, "median": median round}}``. ``around[name]()`` is entered
    around each round of that contender, untimed (e.g. moto's rounds with mock_kms suspended)."""
    around = around or {}
    for name, call in contenders.items():
        with around.get(name, nullcontext)():
            for _ in range(warmup):
                call()
    names = list(contenders)
    samples: dict[str, list[float]] = {name: [] for name in names}
    perf = TIMER
    for index in range(rounds):
        shift = index % len(names)  # rotate who goes first
        for name in names[shift:] + names[:shift]:
            call = contenders[name]
            with around.get(name, nullcontext)():
                start = perf()
                for _ in range(batch):
                    call()
                samples[name].append((perf() - start) / batch)
    return {name: {"best": min(values), "median": statistics.median(values)} for name, values in samples.items()}


def warm_cpu(seconds: float = 0.5) -> None:
    """Keep the CPU busy for a moment before measuring: the first figures of a fresh process
    otherwise come out slow (clock frequency still ramping up, cold caches)."""
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        sum(range(1000))


def best_of(call: Callable[[], Any], *, rounds: int = 7, number: int = 1000) -> float:
    """Seconds per call: the best of ``rounds`` rounds of ``number`` calls (micro-timings)."""
    perf = TIMER
    best = float("inf")
    for _ in range(rounds):
        start = perf()
        for _ in range(number):
            call()
        best = min(best, (perf() - start) / number)
    return best


def run_process(command: list[str], **options: Any) -> tuple[Any, float, float]:
    """Run ``command`` to completion: (CompletedProcess, wall-clock seconds, CPU seconds).

    CPU seconds = user + system time of the finished child, from the OS's accounting of
    waited-for children (``RUSAGE_CHILDREN``); 0 where the platform has no ``resource``.
    """
    import subprocess

    try:
        import resource
    except ImportError:  # Windows
        resource = None

    def children_cpu() -> float:
        if resource is None:
            return 0.0
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime

    cpu_before = children_cpu()
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False, **options)
    wall = time.perf_counter() - start
    return done, wall, children_cpu() - cpu_before


def pytest_plugin_options() -> list[str]:
    """``-p mock_kms.pytest_plugin`` when mock_kms's pytest plugin is not installed (a checkout
    run without ``pip install -e .``), so pytest runs of the benchmarks find the fixtures."""
    from importlib.metadata import entry_points

    installed = any(entry.name == "mock_kms" for entry in entry_points(group="pytest11"))
    return [] if installed else ["-p", "mock_kms.pytest_plugin"]


def wire_body(params: dict[str, Any]) -> bytes:
    """A JSON 1.1 request body as botocore sends it (blobs in base64)."""
    import base64

    def encode(value: Any) -> Any:
        if isinstance(value, bytes):
            return base64.b64encode(value).decode("ascii")
        if isinstance(value, dict):
            return {k: encode(v) for k, v in value.items()}
        return value

    return json.dumps(encode(params)).encode()


def target(operation: str) -> bytes:
    return f"TrentService.{operation}".encode()


def moto_mock_aws() -> Any:
    """moto's ``mock_aws`` if moto is installed (the ``bench`` extra), else None.

    Importing moto adds its (inactive) ``before-send`` hook to every botocore client created
    afterwards, so benchmarks create their floor and mock_kms clients *before* calling this.
    """
    try:
        from moto import mock_aws
    except ImportError:
        return None
    return mock_aws


def versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for name in ("botocore", "boto3", "cryptography", "moto"):
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "not installed"
    return found


def machine() -> dict[str, Any]:
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpus": os.cpu_count(),
        "cpu": _cpu_model(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "load_average": [round(x, 2) for x in load] if load else None,
        **{f"{name}_version": value for name, value in versions().items()},
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def emit(results: dict[str, Any], render: Callable[[dict[str, Any]], str], argv: list[str]) -> None:
    """``--json``: results as JSON (for run_all.py); otherwise the Markdown section."""
    if "--json" in argv:
        print(json.dumps(results))
    else:
        print(render(results))


def us(seconds: float | None, digits: int = 0) -> str:
    return "n/a" if seconds is None else f"{seconds * 1e6:,.{digits}f}"


def ratio(value: float | None, floor: float | None) -> str:
    return "n/a" if value is None or not floor else f"{value / floor:.2f}×"
