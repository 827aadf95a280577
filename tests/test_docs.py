"""README and examples/ are executed, so they never rot."""

from __future__ import annotations

import importlib.util
import inspect
import re
import subprocess
import sys
from pathlib import Path

import pytest

from mock_kms import mock_kms

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))


def readme_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


def run_block(source: str) -> None:
    namespace: dict[str, object] = {"__name__": "readme_block"}
    exec(compile(source, str(README), "exec"), namespace)
    for name, value in list(namespace.items()):
        if name.startswith("test") and inspect.isfunction(value):
            parameters = inspect.signature(value).parameters
            if "kms_mock" in parameters or "kms_client" in parameters:  # the plugin's fixtures
                with mock_kms() as kms_mock:
                    fixtures = {"kms_mock": kms_mock, "kms_client": kms_mock.client()}
                    value(**{parameter: fixtures[parameter] for parameter in parameters})
            else:
                value()
        elif name[:1].isupper() and inspect.isclass(value) and issubclass(value, __import__("unittest").TestCase):
            import unittest

            result = unittest.TextTestRunner(stream=open("/dev/null", "w")).run(
                unittest.defaultTestLoader.loadTestsFromTestCase(value)
            )
            assert result.wasSuccessful(), result.failures + result.errors


def test_readme_has_python_examples():
    assert len(readme_blocks()) >= 3


@pytest.mark.parametrize("index", range(len(readme_blocks())))
def test_readme_block_runs(index):
    if "from moto import" in readme_blocks()[index]:
        pytest.importorskip("moto", reason="moto is not installed: pip install -e '.[test]'")
    run_block(readme_blocks()[index])


def test_readme_quick_start_has_exactly_two_commands():
    quick_start = README.read_text().split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```sh\n(.*?)```", quick_start, flags=re.S)
    assert [c.strip() for c in commands] == [
        "pip install . && python -m mock_kms demo",
        'pip install -e ".[test]" && pytest',
    ]


def test_ci_runs_the_readme_commands():
    ci = (ROOT / ".ci" / "run").read_text()
    assert 'pip install -e ".[test]"' in ci
    assert re.search(r"^pytest\b", ci, flags=re.M)


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_runs(path):
    spec = importlib.util.spec_from_file_location(f"example_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert hasattr(module, "main"), f"{path.name} must define main()"
    module.main()


def test_demo_runs_as_a_command():
    result = subprocess.run([sys.executable, "-m", "mock_kms", "demo"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    for step in ("create-key", "encrypt", "decrypt", "re-encrypt", "enable-key-rotation", "generate-data-key", "schedule-key-deletion", "cancel-key-deletion"):
        assert step in result.stdout
