"""Packaging beyond pyproject.toml: one file outside the package.

``mock_kms_for_moto.pth`` goes to site-packages, where Python runs its line at start-up: with
``MOCK_KMS_FOR_MOTO=1`` set, any process (``python -m unittest``, nose2, a script) turns on the
switch that runs mock_kms's KMS under every moto ``mock_aws`` (docs/migrating-from-moto.md).
Without the variable the line only reads the environment. Editable installs (``pip install -e``)
do not carry it: there, pytest's plugin reads the variable, and other runners call
``mock_kms.moto_compat.enable_switch()``.
"""

import os

from setuptools import setup
from setuptools.command.build_py import build_py

PTH = "mock_kms_for_moto.pth"


class BuildPyWithPth(build_py):
    def run(self) -> None:
        super().run()
        self.copy_file(PTH, os.path.join(self.build_lib, PTH))

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        return [*super().get_outputs(include_bytecode), os.path.join(self.build_lib, PTH)]


setup(cmdclass={"build_py": BuildPyWithPth})
