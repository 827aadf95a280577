"""``python -m mock_kms demo`` tells the whole tutorial: its output, checked."""

from __future__ import annotations

import re

from mock_kms.demo import run_demo

ACCOUNT = "123456789012"


def _demo_lines(capsys) -> list[str]:
    assert run_demo() == 0
    return capsys.readouterr().out.splitlines()


def _step(lines: list[str], step: str) -> str:
    """What the demo printed for ``step`` (the text after the step's column)."""
    found = [line for line in lines if line.startswith(f"  {step} ")]
    assert len(found) == 1, (step, lines)
    return found[0][len(step) + 2 :].strip()


def _why(lines: list[str], step: str) -> str:
    """The explanation printed under ``step`` (wrapped over indented lines)."""
    start = next(i for i, line in enumerate(lines) if line.startswith(f"  {step} "))
    parts = []
    for line in lines[start + 1 :]:
        if not line.startswith("      "):
            break
        parts.append(line.strip())
    text = " ".join(parts)
    assert text.startswith("why: "), text
    return text[len("why: ") :]


def test_the_demo_walks_through_the_tutorials_principals(capsys):
    lines = _demo_lines(capsys)
    tutorial = lines[
        lines.index("Separation of duties: a key administrator and a key user (the tutorial's principals)") :
    ]
    assert _step(tutorial, "group myKMSGroup") == "members may list keys and aliases"
    assert _step(tutorial, "users MyKeyManager, MyKeyUser") == "in myKMSGroup; the manager may also create keys"
    assert _step(tutorial, "MyKeyManager: create-key") == "key policy: admin MyKeyManager, user MyKeyUser"
    assert _step(tutorial, "MyKeyManager: enable-key-rotation, tag") == "ok: managing the key"
    assert _step(tutorial, "MyKeyUser: encrypt, decrypt") == "ok: 'tutorial secret'"

    # Each denial, with its explanation.
    assert _step(tutorial, "MyKeyManager: decrypt") == "AccessDeniedException"
    assert _why(tutorial, "MyKeyManager: decrypt") == (
        "Denied: the key policy allows the account, but no identity policy of "
        f"arn:aws:iam::{ACCOUNT}:user/MyKeyManager allows kms:Decrypt"
    )
    assert _step(tutorial, "simulate MyKeyUser kms:ScheduleKeyDeletion") == (
        "implicitDeny (kms_mock.iam.simulate, no request)"
    )
    assert _step(tutorial, "MyKeyUser: schedule-key-deletion") == "AccessDeniedException"
    assert _why(tutorial, "MyKeyUser: schedule-key-deletion") == (
        "Denied: the key policy allows the account, but no identity policy of "
        f"arn:aws:iam::{ACCOUNT}:user/MyKeyUser allows kms:ScheduleKeyDeletion"
    )

    # The deletion window runs out on the mock's clock: the data is lost.
    assert re.fullmatch(
        r"PendingDeletion until \d{4}-\d{2}-\d{2}", _step(tutorial, "MyKeyManager: schedule-key-deletion (7 days)")
    )
    scheduled = _step(tutorial, "MyKeyManager: schedule-key-deletion (7 days)").rsplit(" ", 1)[1]
    assert _step(tutorial, "7 days later on the mock's clock") == f"the key is deleted (DeleteKey event, {scheduled})"
    assert _step(tutorial, "MyKeyUser: decrypt") == "AccessDeniedException: the data is now unreadable"
    assert "  The tutorial's warning: deleting a KMS key is destructive. Once it is deleted, nothing" in tutorial


def test_the_demo_is_short_and_fits_a_terminal(capsys):
    lines = _demo_lines(capsys)
    assert len(lines) <= 45
    tutorial = lines[
        lines.index("Separation of duties: a key administrator and a key user (the tutorial's principals)") :
    ]
    assert max(len(line) for line in tutorial) <= 100
    summary = next(line for line in lines if line.endswith("denied):"))
    assert re.fullmatch(r"\d+ KMS calls answered in-process \(3 denied\):", summary)
