"""Policy wildcards in the worst case: ``*a*a*a*a*a*a*b`` against a run of ``a``.

The policy engine used to compile ``*``/``?`` patterns to backtracking regular expressions;
this pattern against 100 ``a`` took 23 s there (the time grows as n⁶). ``mock_kms.iam.glob``
matches without backtracking. Measured side by side: the matcher, the regular expression the
engine used to build (only for short values: it is exponential), and a whole Encrypt whose key
policy has that ``StringLike`` condition on an encryption-context value of 100 ``a`` (the
request is refused: no statement matches, so every pattern is tried).

Run: python benchmarks/bench_wildcards.py [--quick] [--json]
"""

from __future__ import annotations

import functools
import json
import re
import sys
from typing import Any

from _common import interleaved

PATTERNS = ["*a*a*a*a*a*a*b", "*?*?*?*?*?*?b", "a*a*a*a*a*a*a*a*a*a*c", "*a?b*"]  # the last: a full scan
LENGTHS = [16, 100, 1000]
REGEX_LENGTHS = [12, 16, 20]  # the old regular expression, only where it still ends


def _old_regex(pattern: str) -> re.Pattern[str]:
    """What policy.py compiled before (``*`` -> ``.*``, ``?`` -> ``.``)."""
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern), re.DOTALL)


def _encrypt_with_condition(length: int) -> Any:
    """An Encrypt call refused by a key policy whose only grant has the worst-case StringLike."""
    from botocore.exceptions import ClientError

    from mock_kms import mock_kms

    mock = mock_kms()
    mock.start()
    kms = mock.client("kms")
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "kms:*",
             "Resource": "*", "Condition": {"StringLike": {"kms:EncryptionContext:k": PATTERNS[0]}}},
        ],
    }
    key = kms.create_key(Policy=json.dumps(policy), BypassPolicyLockoutSafetyCheck=True)["KeyMetadata"]["KeyId"]
    context = {"k": "a" * length}

    def call() -> None:
        try:
            kms.encrypt(KeyId=key, Plaintext=b"x", EncryptionContext=context)
        except ClientError:
            pass

    return mock, call


def run(*, rounds: int = 5, batch: int = 20) -> dict[str, Any]:
    from mock_kms.iam.glob import Wildcard

    rows: list[dict[str, Any]] = []
    for pattern in PATTERNS:
        matcher = Wildcard.of(pattern)
        for length in LENGTHS:
            value = "a" * length
            best = interleaved({"glob": functools.partial(matcher.matches, value)}, rounds=rounds, batch=batch, warmup=2)
            rows.append({"pattern": pattern, "length": length, "matcher": "glob", "seconds": best["glob"]["best"]})
        regex = _old_regex(pattern)
        for length in REGEX_LENGTHS:
            value = "a" * length
            best = interleaved({"regex": functools.partial(regex.fullmatch, value)}, rounds=3, batch=1, warmup=0)
            rows.append({"pattern": pattern, "length": length, "matcher": "old regex", "seconds": best["regex"]["best"]})
    mock, call = _encrypt_with_condition(100)
    try:
        encrypt = interleaved({"encrypt": call}, rounds=rounds, batch=batch, warmup=2)["encrypt"]["best"]
    finally:
        mock.stop()
    return {"rows": rows, "encrypt_100": encrypt}


def render(results: dict[str, Any]) -> str:
    lines = [
        "### Policy wildcards, worst case (no backtracking)",
        "",
        "| pattern | value | matcher | time per match |",
        "|---|---:|---|---:|",
    ]
    for row in results["rows"]:
        seconds = row["seconds"]
        shown = f"{seconds * 1e6:.1f} µs" if seconds < 0.01 else f"{seconds:.3f} s"
        lines.append(f"| `{row['pattern']}` | {row['length']} × `a` | {row['matcher']} | {shown} |")
    lines += [
        "",
        f"A whole Encrypt refused by a key policy with `StringLike` `{PATTERNS[0]}` on a context value "
        f"of 100 `a`: {results['encrypt_100'] * 1e6:.0f} µs per call (the old regular expression: 23 s).",
    ]
    return "\n".join(lines)


def main() -> None:
    quick = "--quick" in sys.argv[1:]
    results = run(rounds=2, batch=5) if quick else run()
    if "--json" in sys.argv[1:]:
        print(json.dumps(results))
    else:
        print(render(results))


if __name__ == "__main__":
    main()
