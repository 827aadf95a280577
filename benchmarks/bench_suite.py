"""Whole suites: the same N typical tests run by pytest in a fresh process, mock_kms vs moto.

A typical test creates a client, a key, and encrypts and decrypts. Half of the suite uses the
decorator (``@mock_kms`` / moto's ``@mock_aws``), half a fixture (mock_kms's ``kms_mock`` with
``kms_mock.client()``; for moto the usual conftest fixture, ``with mock_aws(): yield``). Suites:

* ``floor`` — the same tests with no mock: each creates a client whose ``before-send`` handler
  returns canned answers (what pytest and botocore cost by themselves);
* ``mock_kms`` — as above; ``mock_kms (kms_client)`` — the fixture half uses the ``kms_client``
  fixture (one client per session) instead of a client per test;
* ``moto``.

Each suite runs as a whole process (``python -m pytest -q``, interpreter start-up included),
in alternating rounds; medians of wall-clock and CPU time (user + system of the finished
process) are reported. Goal (issue 14): mock_kms ≥ 25 × faster than moto, as a whole process.

Then what one test pays, measured in this process (CPU time, median of rounds): starting and
stopping a mock (what the decorator and the fixture do around each test), creating a botocore
client, and the three calls.

Run: python benchmarks/bench_suite.py [--tests N] [--rounds R] [--quick] [--json]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

from _common import ROOT, pytest_plugin_options, run_process

GOAL = 25.0  # mock_kms at least 25x faster than moto on the whole suite

_TEST = """
{decorator}
def test_decorated_{index}():
    kms = boto3.client("kms", region_name="us-east-1"){canned}
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"secret {index}")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"secret {index}"


def test_fixture_{index}({fixture}):
    kms = {client}{canned}
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"secret {index}")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"secret {index}"
"""

# The floor: canned answers (the key id and ciphertext are fixed; Decrypt echoes the plaintext).
_CANNED = """
import base64, json
from botocore.awsrequest import AWSResponse


class _Raw:
    def __init__(self, body):
        self.body = body

    def stream(self, **_):
        yield self.body


def _answer(request, **_):
    operation = request.headers["X-Amz-Target"].decode()[13:]
    if operation == "CreateKey":
        body = {"KeyMetadata": {"KeyId": "1234abcd-12ab-34cd-56ef-1234567890ab"}}
    elif operation == "Encrypt":
        plaintext = json.loads(request.body)["Plaintext"]
        body = {"CiphertextBlob": plaintext, "KeyId": "1234abcd-12ab-34cd-56ef-1234567890ab"}
    else:
        body = {"Plaintext": json.loads(request.body)["CiphertextBlob"], "KeyId": "1234abcd-12ab-34cd-56ef-1234567890ab"}
    return AWSResponse(request.url, 200, {}, _Raw(json.dumps(body).encode()))


def canned(kms):
    kms.meta.events.register("before-send.kms", _answer)
    return kms
"""

_SUITES: dict[str, dict[str, str]] = {
    "floor": {
        "header": "import boto3\n" + _CANNED,
        "decorator": "",
        "fixture": "",
        "client": 'boto3.client("kms", region_name="us-east-1")',
        "canned": "\n    canned(kms)",
        "conftest": "",
    },
    "mock_kms": {
        "header": "import boto3\nfrom mock_kms import mock_kms\n",
        "decorator": "@mock_kms",
        "fixture": "kms_mock",
        "client": "kms_mock.client()",
        "canned": "",
        "conftest": "",
    },
    "mock_kms (kms_client)": {
        "header": "import boto3\nfrom mock_kms import mock_kms\n",
        "decorator": "@mock_kms",
        "fixture": "kms_client",
        "client": "kms_client",
        "canned": "",
        "conftest": "",
    },
    "moto": {
        "header": "import boto3\nfrom moto import mock_aws\n",
        "decorator": "@mock_aws",
        "fixture": "aws",
        "client": 'boto3.client("kms", region_name="us-east-1")',
        "canned": "",
        "conftest": "import pytest\nfrom moto import mock_aws\n\n\n@pytest.fixture\ndef aws():\n    with mock_aws():\n        yield\n",
    },
}


def write_suite(folder: Path, name: str, tests: int) -> None:
    """``tests`` typical tests (half decorated, half with a fixture) in ``folder``."""
    spec = _SUITES[name]
    folder.mkdir(parents=True)
    body = "".join(
        _TEST.format(index=index, **{k: v for k, v in spec.items() if k not in ("header", "conftest")})
        for index in range(tests // 2)
    )
    (folder / "test_typical.py").write_text(spec["header"] + body)
    (folder / "conftest.py").write_text(spec["conftest"])


def _available(module: str) -> bool:
    done, _, _ = run_process([sys.executable, "-c", f"import {module}"])
    return done.returncode == 0


def _run_suite(folder: Path, pycache: str, *options: str) -> tuple[float, float]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # bytecode cached, as for installed packages
    env["PYTHONPYCACHEPREFIX"] = pycache
    env.setdefault("AWS_ACCESS_KEY_ID", "AKIABENCHMARK0000000")
    env.setdefault("AWS_SECRET_ACCESS_KEY", "benchmark-secret")
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:cacheprovider", "-x"]
    command += [*pytest_plugin_options(), *options]
    done, wall, cpu = run_process(command, cwd=folder, env=env)
    if done.returncode != 0:
        raise RuntimeError(f"suite in {folder} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return wall, cpu


def suites(tests: int, rounds: int) -> dict[str, dict[str, float]]:
    names = [name for name in _SUITES if name != "moto" or _available("moto")]
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in names}
    with tempfile.TemporaryDirectory(prefix="mock_kms-bench-suite-") as scratch:
        folders = {name: Path(scratch) / f"suite-{index}" for index, name in enumerate(names)}
        pycache = str(Path(scratch) / "pycache")
        for name, folder in folders.items():
            write_suite(folder, name, tests)
            _run_suite(folder, pycache, "-k", "test_decorated_0")  # warm-up: bytecode, OS file cache
        for index in range(rounds):
            shift = index % len(names)
            for name in names[shift:] + names[:shift]:
                samples[name].append(_run_suite(folders[name], pycache))
    return {
        name: {
            "wall": statistics.median(wall for wall, _ in values),
            "cpu": statistics.median(cpu for _, cpu in values),
        }
        for name, values in samples.items()
    }


def per_test(rounds: int = 15, number: int = 100) -> dict[str, float | None]:
    """CPU seconds per operation: what each test pays around its own calls."""
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "AKIABENCHMARK0000000")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "benchmark-secret")
    import boto3
    from _common import TIMER

    from mock_kms import KmsMock, mock_kms

    def median_of(call: Any, number: int = number) -> float:
        call()
        values = []
        for _ in range(rounds):
            start = TIMER()
            for _ in range(number):
                call()
            values.append((TIMER() - start) / number)
        return statistics.median(values)

    def start_stop() -> None:
        mock = KmsMock()
        mock.start()
        mock.stop()

    @mock_kms
    def decorated() -> None:
        pass

    figures: dict[str, float | None] = {
        "mock_kms start + stop": median_of(start_stop),
        "mock_kms decorator (a test doing nothing)": median_of(decorated),
    }
    with KmsMock() as mock:
        figures["boto3.client('kms')"] = median_of(lambda: boto3.client("kms", region_name="us-east-1"))
        figures["kms_mock.client()"] = median_of(mock.client)
        client = mock.client()

        def calls() -> None:
            key_id = client.create_key()["KeyMetadata"]["KeyId"]
            blob = client.encrypt(KeyId=key_id, Plaintext=b"secret")["CiphertextBlob"]
            client.decrypt(CiphertextBlob=blob)

        figures["CreateKey + Encrypt + Decrypt (mock_kms)"] = median_of(calls)
    try:
        from moto import mock_aws
    except ImportError:
        figures["moto mock_aws start + stop"] = None
        figures["CreateKey + Encrypt + Decrypt (moto)"] = None
    else:

        def moto_start_stop() -> None:
            mock = mock_aws()
            mock.start()
            mock.stop()

        figures["moto mock_aws start + stop"] = median_of(moto_start_stop, number=10)
        with mock_aws():
            client = boto3.client("kms", region_name="us-east-1")

            def moto_calls() -> None:
                key_id = client.create_key()["KeyMetadata"]["KeyId"]
                blob = client.encrypt(KeyId=key_id, Plaintext=b"secret")["CiphertextBlob"]
                client.decrypt(CiphertextBlob=blob)

            figures["CreateKey + Encrypt + Decrypt (moto)"] = median_of(moto_calls, number=10)
    return figures


def run(*, tests: int = 300, rounds: int = 3, quick: bool = False) -> dict[str, Any]:
    return {"tests": tests, "rounds": rounds, "suites": suites(tests, rounds), "per_test": per_test(3 if quick else 15)}


def render(results: dict[str, Any]) -> str:
    found = results["suites"]
    moto = found.get("moto")
    tests = results["tests"]
    lines = [
        "### Whole suites (pytest, fresh process)",
        "",
        (
            f"{tests} typical tests (a client, CreateKey, Encrypt, Decrypt; half with the decorator, half with a "
            f"fixture) run by `python -m pytest -q` in a fresh process; medians of {results['rounds']} alternating "
            "rounds. *CPU* = user + system time of the whole process. The floor runs the same tests against canned "
            "`before-send` answers (pytest and botocore alone); `mock_kms (kms_client)` is the same suite with the "
            "fixture half using the `kms_client` fixture (one client per session) instead of `kms_mock.client()`."
        ),
        "",
        "| suite | wall s | CPU s | CPU ms per test | moto ÷ suite (wall) | moto ÷ suite (CPU) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, row in found.items():
        ratios = (
            f"{moto['wall'] / row['wall']:.1f}× | {moto['cpu'] / row['cpu']:.1f}×"
            if moto and name != "moto"
            else "– | –"
        )
        lines.append(f"| {name} | {row['wall']:.2f} | {row['cpu']:.2f} | {row['cpu'] / tests * 1e3:.1f} | {ratios} |")
    lines.append("")
    if moto:
        ours = found["mock_kms"]
        shared = found["mock_kms (kms_client)"]
        met = moto["cpu"] / ours["cpu"] >= GOAL
        lines.append(
            f"Goal (whole suite ≥ {GOAL:.0f}× faster than moto): {moto['cpu'] / ours['cpu']:.1f}× in CPU time, "
            f"{moto['wall'] / ours['wall']:.1f}× wall-clock — {'met' if met else 'not met'} "
            f"({moto['cpu'] / shared['cpu']:.1f}× with `kms_client`)."
        )
    else:
        lines.append("moto is not installed (`pip install -e '.[bench]'`): no comparison.")
    lines += [
        "",
        "What each test pays, measured in one process (CPU time per operation, median of rounds):",
        "",
        "| per test | µs |",
        "|---|---:|",
    ]
    for name, seconds in results["per_test"].items():
        lines.append(f"| {name} | {'n/a' if seconds is None else f'{seconds * 1e6:,.0f}'} |")
    return "\n".join(lines)


def main(argv: list[str]) -> None:
    from _common import emit

    parser = argparse.ArgumentParser()
    parser.add_argument("--tests", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.quick:
        args.tests, args.rounds = 20, 1
    emit(run(tests=args.tests, rounds=args.rounds, quick=args.quick), render, argv)


if __name__ == "__main__":
    main(sys.argv[1:])
