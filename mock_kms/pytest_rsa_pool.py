"""pytest side of the RSA key pool (mock_kms/core/crypto/pool.py), loaded by the mock_kms plugin.

The pool lives in pytest's cache (``.pytest_cache/d/mock_kms-rsa-pool``), so ``--cache-clear``
empties it and ``-p no:cacheprovider`` runs without one. ``--mock-kms-rsa-pool=N`` (ini option
``mock_kms_rsa_pool``) sets how many keys are kept per RSA size at most; 0 turns the pool off.
"""

from __future__ import annotations

import pytest

_DIRECTORY = "mock_kms-rsa-pool"
_DEFAULT_CAP = 64  # = pool.DEFAULT_CAP (not imported: this module stays free of mock_kms imports)


def pytest_addoption(parser: pytest.Parser) -> None:
    help_text = (
        "RSA keys kept ready per RSA size in pytest's cache for mock_kms "
        f"(default {_DEFAULT_CAP}; 0 = no pool, every RSA key is generated when first used)"
    )
    parser.addini("mock_kms_rsa_pool", help_text, default=str(_DEFAULT_CAP))
    parser.getgroup("mock_kms").addoption("--mock-kms-rsa-pool", type=int, metavar="N", help=help_text)


@pytest.hookimpl(trylast=True)  # after the cacheprovider made config.cache (and --cache-clear ran)
def pytest_configure(config: pytest.Config) -> None:
    from mock_kms.core.crypto import pool

    cap = config.getoption("mock_kms_rsa_pool")
    if cap is None:
        try:
            cap = int(config.getini("mock_kms_rsa_pool"))
        except ValueError:
            raise pytest.UsageError("mock_kms_rsa_pool must be a whole number of keys (0 = off)") from None
    cache = getattr(config, "cache", None)  # None under -p no:cacheprovider
    if cache is None or cap <= 0:
        pool.configure(None)
        return
    pool.configure(cache.mkdir(_DIRECTORY), cap=cap)
    if not hasattr(config, "workerinput"):  # the main process (not an xdist worker) starts a run
        pool.begin_run()


def pytest_unconfigure(config: pytest.Config) -> None:
    from mock_kms.core.crypto import pool

    pool.stop_filler()
