"""mock_kms is a typed package: it ships ``py.typed``, and ``mypy --strict`` passes on a user's
module written against the documented API (tests/typing/*.py)."""

from __future__ import annotations

import importlib.resources
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TYPING = ROOT / "tests" / "typing"


def test_the_package_ships_py_typed():
    assert importlib.resources.files("mock_kms").joinpath("py.typed").is_file()
    pyproject = (ROOT / "pyproject.toml").read_text()
    # setuptools installs it only when package-data names it.
    assert re.search(r'^\[tool\.setuptools\.package-data\]\nmock_kms = \["py\.typed"\]', pyproject, flags=re.M)


def test_mypy_strict_passes_on_a_user_module(tmp_path):
    pytest.importorskip("mypy", reason="mypy is in the `test` extra: pip install -e '.[test]'")
    files = sorted(str(path) for path in TYPING.glob("*.py"))
    assert files
    command = [sys.executable, "-m", "mypy", "--config-file", str(TYPING / "mypy.ini"), "--cache-dir", str(tmp_path)]
    result = subprocess.run([*command, *files], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_check_catches_a_wrong_type(tmp_path):
    """The check is not vacuous: a misuse of the API fails it."""
    pytest.importorskip("mypy", reason="mypy is in the `test` extra")
    wrong = tmp_path / "wrong.py"
    wrong.write_text(
        "from mock_kms import mock_kms\n"
        "with mock_kms() as kms_mock:\n"
        "    count: str = len(kms_mock.calls)\n"
        "    kms_mock.inject_error('Encrypt', 'ThrottlingException', times='once')\n"
    )
    command = [sys.executable, "-m", "mypy", "--config-file", str(TYPING / "mypy.ini"), "--cache-dir", str(tmp_path / "c")]
    result = subprocess.run([*command, str(wrong)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 1
    assert "Incompatible types in assignment" in result.stdout
    assert 'Argument "times" to "inject_error" of "KmsMock" has incompatible type "str"' in result.stdout
