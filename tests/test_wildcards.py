"""Policy wildcards (StringLike, ArnLike, Resource, Action) are matched without backtracking.

Correctness only; the worst cases are timed in benchmarks/bench_wildcards.py.
"""

from __future__ import annotations

import json
import random
import re

import pytest
from botocore.exceptions import ClientError

from mock_kms import mock_kms
from mock_kms.iam.glob import ArnWildcard, Wildcard


def _reference(pattern: str, value: str) -> bool:
    """The plain definition, as a (backtracking) regular expression: for small inputs only."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, re.DOTALL) is not None


def _arn_reference(pattern: str, value: str) -> bool:
    regex, colons = [], 0
    for c in pattern:
        if c in "*?":
            one = "[^:]" if colons < 5 else "."
            regex.append(one + "*" if c == "*" else one)
        else:
            colons += c == ":"
            regex.append(re.escape(c))
    return re.fullmatch("".join(regex), value, re.DOTALL) is not None


def test_agrees_with_the_definition_on_random_inputs():
    rng = random.Random(18)
    for _ in range(20000):
        pattern = "".join(rng.choice("ab*?") for _ in range(rng.randint(0, 8)))
        value = "".join(rng.choice("ab") for _ in range(rng.randint(0, 10)))
        assert Wildcard.of(pattern).matches(value) == _reference(pattern, value), (pattern, value)


def test_arn_patterns_agree_with_the_definition_on_random_inputs():
    rng = random.Random(1818)
    for _ in range(10000):
        pattern = ":".join("".join(rng.choice("ab*?") for _ in range(rng.randint(0, 3))) for _ in range(6))
        value = "".join(rng.choice("ab:") for _ in range(rng.randint(4, 14)))
        matcher = ArnWildcard.compile((c, c in "*?") for c in pattern)
        assert matcher is not None
        assert matcher.matches(value) == _arn_reference(pattern, value), (pattern, value)


@pytest.mark.parametrize(
    ("pattern", "value", "expected"),
    [
        ("*a*a*a*a*a*a*b", "a" * 100, False),
        ("*a*a*a*a*a*a*b", "a" * 100 + "b", True),
        ("*?*?*?*?*?*?b", "a" * 100, False),
        ("*?*?*?*?*?*?b", "a" * 5 + "b", False),
        ("*?*?*?*?*?*?b", "a" * 6 + "b", True),
        ("a*a*a*a*a*a*a*a*a*a*c", "a" * 5000, False),
        ("*a?b*", "a" * 5000, False),
        ("*a?b*", "a" * 5000 + "xb", True),
        ("*", "", True),
        ("?", "", False),
        ("a*", "a\nb", True),  # * crosses newlines (DOTALL)
        ("", "", True),
        ("**", "anything", True),
        ("ab*ba", "aba", False),  # head and tail may not overlap
        ("ab*ba", "abba", True),
    ],
)
def test_worst_and_edge_cases(pattern, value, expected):
    assert Wildcard.of(pattern).matches(value) is expected


def test_arn_wildcards_do_not_cross_colons_before_the_resource():
    matcher = ArnWildcard.compile((c, c in "*?") for c in "arn:aws:kms:*:111122223333:key/*")
    assert matcher is not None
    assert matcher.matches("arn:aws:kms:us-east-1:111122223333:key/abc:def")
    assert not matcher.matches("arn:aws:kms:us-east-1:extra:111122223333:key/abc")
    assert ArnWildcard.compile((c, c in "*?") for c in "arn:aws:*") is None  # not an ARN pattern


def _refused_unless_like(pattern: str, value: str) -> bool:
    """Whether Encrypt is allowed by a key policy whose only Allow has StringLike ``pattern``."""
    with mock_kms() as m:
        kms = m.client("kms")
        policy = {
            "Version": "2012-10-17",
            "Statement": [{
                "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "kms:*",
                "Resource": "*", "Condition": {"StringLike": {"kms:EncryptionContext:k": pattern}},
            }],
        }
        key = kms.create_key(Policy=json.dumps(policy), BypassPolicyLockoutSafetyCheck=True)["KeyMetadata"]["KeyId"]
        try:
            kms.encrypt(KeyId=key, Plaintext=b"x", EncryptionContext={"k": value})
        except ClientError as error:
            assert error.response["Error"]["Code"] == "AccessDeniedException"
            return False
        return True


def test_worst_case_string_like_through_a_key_policy():
    """The condition that took 23 s with a backtracking regex is answered (AccessDenied)."""
    assert _refused_unless_like("*a*a*a*a*a*a*b", "a" * 100) is False
    assert _refused_unless_like("*a*a*a*a*a*a*b", "a" * 100 + "b") is True


def test_worst_case_arn_like_condition():
    with mock_kms() as m:
        kms = m.client("kms")
        pattern = "arn:aws:iam::*:" + "*a" * 8 + "*b"
        policy = {
            "Version": "2012-10-17",
            "Statement": [{
                "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:*", "Resource": "*",
                "Condition": {"ArnLike": {"aws:PrincipalArn": pattern}},
            }],
        }
        key = kms.create_key(Policy=json.dumps(policy), BypassPolicyLockoutSafetyCheck=True)["KeyMetadata"]["KeyId"]
        with pytest.raises(ClientError) as caught:
            kms.describe_key(KeyId=key)
        assert caught.value.response["Error"]["Code"] == "AccessDeniedException"


def test_the_wildcard_benchmark_runs(monkeypatch):
    """benchmarks/bench_wildcards.py still runs (tiny sizes; nothing timed is asserted)."""
    from pathlib import Path

    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parent.parent / "benchmarks"))
    import bench_wildcards

    results = bench_wildcards.run(rounds=1, batch=1)
    assert "| `*a*a*a*a*a*a*b` | 1000 × `a` | glob |" in bench_wildcards.render(results)
