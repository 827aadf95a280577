"""docs/migrating-from-moto.md: every snippet runs. A "before" snippet passes under moto (when the
guide says so) and fails under mock_kms (the switch on) with the error the guide names; an "after"
snippet passes under mock_kms."""

from __future__ import annotations

import inspect
import re
from contextlib import contextmanager
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

pytest.importorskip("moto", reason="moto is not installed: pip install -e '.[test]'")

GUIDE = Path(__file__).resolve().parent.parent / "docs" / "migrating-from-moto.md"
BLOCK = re.compile(r"(?:<!-- (?P<marker>[^>]*?) -->\n)?```python\n(?P<source>.*?)```", re.S)
BEFORE = re.compile(r"before: (?P<moto>moto passes; )?mock_kms raises (?P<error>\w+)")


def snippets() -> list[tuple[str, str]]:
    return [(match["marker"] or "", match["source"]) for match in BLOCK.finditer(GUIDE.read_text())]


def run_snippet(source: str) -> None:
    """Run a snippet as pytest would run it as a test module (no fixtures)."""
    namespace: dict[str, object] = {"__name__": "guide_snippet"}
    exec(compile(source, str(GUIDE), "exec"), namespace)
    try:
        for name, value in list(namespace.items()):
            if name.startswith("test") and inspect.isfunction(value):
                value()
            elif name.startswith("Test") and inspect.isclass(value):
                run_test_class(value)
    finally:
        teardown = namespace.get("teardown_module")
        if callable(teardown):
            teardown()


def run_test_class(cls: type) -> None:
    if hasattr(cls, "setup_class"):
        cls.setup_class()
    for name in [name for name in vars(cls) if name.startswith("test")]:
        case = cls()
        method = getattr(case, name)
        if hasattr(case, "setup_method"):
            case.setup_method(method)
        try:
            method()
        finally:
            if hasattr(case, "teardown_method"):
                case.teardown_method(method)


@contextmanager
def kms_by_mock_kms():
    """The switch: moto's mock_aws also runs a mock_kms mock, which answers KMS."""
    from mock_kms.moto_compat import disable_switch, enable_switch

    enable_switch()
    try:
        yield
    finally:
        disable_switch()


def error_code(excinfo: pytest.ExceptionInfo[BaseException]) -> str:
    if isinstance(excinfo.value, ClientError):
        return excinfo.value.response["Error"]["Code"]
    return type(excinfo.value).__name__


SNIPPETS = snippets()


def test_the_guide_has_before_and_after_for_every_kind():
    markers = [marker for marker, _ in SNIPPETS]
    assert all(BEFORE.fullmatch(marker) or marker in ("after", "") for marker in markers), markers
    assert sum(marker == "after" for marker in markers) >= 18
    assert sum(marker.startswith("before") for marker in markers) >= 18


@pytest.mark.parametrize("index", range(len(SNIPPETS)))
def test_snippet(index, no_network, monkeypatch):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    marker, source = SNIPPETS[index]
    before = BEFORE.fullmatch(marker)
    if before is None:
        with kms_by_mock_kms():
            run_snippet(source)
        return
    if before["moto"]:
        run_snippet(source)  # the moto habit: passes under moto
    with kms_by_mock_kms(), pytest.raises((ClientError, AssertionError)) as excinfo:
        run_snippet(source)
    assert error_code(excinfo) == before["error"], excinfo.value
