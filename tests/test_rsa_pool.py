"""The pool of pre-generated RSA keys (mock_kms/core/crypto/pool.py, mock_kms/pytest_rsa_pool.py).

What it must guarantee: material handed out once (two keys, two processes, xdist workers),
pytest's cache semantics (``--cache-clear``, ``-p no:cacheprovider``), the opt-out, and that a
corrupted or foreign pool file is never used and never a crash.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from mock_kms.core.crypto import pool

ROOT = Path(__file__).resolve().parent.parent


def fingerprint(public_der: bytes) -> str:
    return hashlib.sha256(public_der).hexdigest()


def key_fingerprint(private_key) -> str:
    return fingerprint(
        private_key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )


@pytest.fixture(scope="module")
def rsa_2048_keys():
    """Eight distinct RSA_2048 keys, generated once for this module (~0.5 s)."""
    return [pool.generate("RSA_2048") for _ in range(8)]


@pytest.fixture
def pool_dir(tmp_path, monkeypatch):
    """A private pool directory for this test (no filler process); the suite's own pool is restored."""
    folder = tmp_path / "pool"
    folder.mkdir()
    monkeypatch.setattr(pool, "_directory", folder)
    monkeypatch.setattr(pool, "_filler_started", True)
    monkeypatch.setattr(pool, "_handed_out", set())
    return folder


def prefill(folder: Path, keys) -> set[str]:
    for key in keys:
        pool.add(folder, "RSA_2048", key)
    return {key_fingerprint(key) for key in keys}


# -- one process ----------------------------------------------------------------------------


def test_two_keys_get_different_pooled_material(kms, pool_dir, rsa_2048_keys):
    pooled = prefill(pool_dir, rsa_2048_keys[:3])
    seen = []
    for _ in range(2):
        key_id = kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
        seen.append(fingerprint(kms.get_public_key(KeyId=key_id)["PublicKey"]))
    assert seen[0] != seen[1]
    assert set(seen) <= pooled  # both came from the pool...
    assert pool.counts(pool_dir)["RSA_2048"] == 1  # ...and left it


def test_data_key_pairs_and_wrapping_keys_come_from_the_pool(kms, pool_dir, rsa_2048_keys, monkeypatch):
    from mock_kms.api import imports

    monkeypatch.setattr(imports, "_wrapping_key_pool", {})  # this process's wrapping keys so far
    pooled = prefill(pool_dir, rsa_2048_keys[:2])
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    pair = kms.generate_data_key_pair_without_plaintext(KeyId=key_id, KeyPairSpec="RSA_2048")
    external = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    params = kms.get_parameters_for_import(
        KeyId=external, WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048"
    )
    assert {fingerprint(pair["PublicKey"]), fingerprint(params["PublicKey"])} == pooled
    assert pool.counts(pool_dir)["RSA_2048"] == 0


def test_a_copied_pool_file_is_not_handed_out_twice(pool_dir, rsa_2048_keys):
    prefill(pool_dir, [rsa_2048_keys[0], rsa_2048_keys[0]])  # the same key in two files
    first = key_fingerprint(pool.rsa_private_key("RSA_2048"))
    second = key_fingerprint(pool.rsa_private_key("RSA_2048"))
    assert first == key_fingerprint(rsa_2048_keys[0])
    assert second != first  # the copy was refused: generated instead
    assert pool.counts(pool_dir)["RSA_2048"] == 0


def test_an_empty_pool_generates_the_key_and_records_the_demand(pool_dir):
    key = pool.rsa_private_key("RSA_2048")
    assert isinstance(key, rsa.RSAPrivateKey) and key.key_size == 2048
    assert pool.targets(pool_dir, cap=64) == {"RSA_2048": pool.MIN_TARGET, "RSA_3072": 0, "RSA_4096": 0}


# -- corrupted and foreign files -------------------------------------------------------------


def _bad_files(folder: Path, good_key) -> None:
    whole = pool.encode("RSA_2048", good_key)
    flipped = bytearray(whole)
    flipped[-10] ^= 0x01
    numbers = good_key.private_numbers()
    broken, broken_crt = (
        rsa.RSAPrivateNumbers(
            numbers.p, numbers.q, numbers.d + dd, numbers.dmp1 + dc, numbers.dmq1, numbers.iqmp, numbers.public_numbers
        ).private_key(unsafe_skip_rsa_key_validation=True)
        for dd, dc in ((2, 0), (0, 2))
    )
    pem = good_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    files = {
        "truncated": whole[: len(whole) // 2],
        "flipped": bytes(flipped),
        "empty": b"",
        "random": os.urandom(1500),
        "pem": pem,  # a real key, but not a pool file
        "other-spec": pool.encode("RSA_3072", good_key),  # header names another size
        "wrong-size": pool.encode("RSA_2048", rsa.generate_private_key(public_exponent=65537, key_size=1024)),
        "ec-key": pool.encode("RSA_2048", ec.generate_private_key(ec.SECP256R1())),
        "inconsistent": pool.encode("RSA_2048", broken),
        "inconsistent-crt": pool.encode("RSA_2048", broken_crt),
    }
    for name, data in files.items():
        (folder / f"RSA_2048-{name}.key").write_bytes(data)
    (folder / "RSA_2048-a-directory.key").mkdir()


def test_corrupted_or_foreign_pool_files_are_never_used_and_never_crash(pool_dir, rsa_2048_keys):
    bad = rsa_2048_keys[0]
    _bad_files(pool_dir, bad)
    for _ in range(3):
        key = pool.rsa_private_key("RSA_2048")
        assert isinstance(key, rsa.RSAPrivateKey) and key.key_size == 2048
        assert key_fingerprint(key) != key_fingerprint(bad)
    assert pool.counts(pool_dir)["RSA_2048"] == 0  # every bad file was removed, none used


def test_corrupted_pool_files_are_replaced_by_the_filler(pool_dir, rsa_2048_keys):
    _bad_files(pool_dir, rsa_2048_keys[0])
    pool.rsa_private_key("RSA_2048")  # takes (and drops) the bad files, notes the demand
    pool.fill(pool_dir, cap=2)
    assert pool.counts(pool_dir) == {"RSA_2048": 2, "RSA_3072": 0, "RSA_4096": 0}  # sizes never used: none
    for _ in range(2):
        assert pool.rsa_private_key("RSA_2048").key_size == 2048


def test_a_pool_directory_that_cannot_be_made_turns_the_pool_off(tmp_path, monkeypatch):
    for name in ("_directory", "_cap", "_filler_started"):  # the suite's own pool, restored afterwards
        monkeypatch.setattr(pool, name, getattr(pool, name))
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    pool.configure(blocker / "pool")
    assert pool.directory() is None
    assert pool.rsa_private_key("RSA_2048").key_size == 2048


# -- filling ------------------------------------------------------------------------------


def test_the_filler_tops_up_only_used_sizes_up_to_the_cap(pool_dir):
    (pool_dir / "demand-RSA_2048.last").write_bytes(b"." * 100)  # the last run used 100
    pool.fill(pool_dir, cap=3)
    assert pool.counts(pool_dir) == {"RSA_2048": 3, "RSA_3072": 0, "RSA_4096": 0}


def test_a_new_run_keeps_the_demand_of_the_last_run_that_used_a_size(pool_dir):
    (pool_dir / "demand-RSA_2048").write_bytes(b"." * 7)  # this run took 7 RSA_2048 keys
    (pool_dir / "demand-RSA_4096.last").write_bytes(b"." * 5)  # an earlier run took 5 RSA_4096 keys
    pool.begin_run()
    assert pool.targets(pool_dir, cap=64) == {"RSA_2048": 7, "RSA_3072": 0, "RSA_4096": 5}
    assert pool.targets(pool_dir, cap=6) == {"RSA_2048": 6, "RSA_3072": 0, "RSA_4096": 5}


def test_one_filler_per_directory(pool_dir):
    fcntl = pytest.importorskip("fcntl")
    (pool_dir / "demand-RSA_2048").write_bytes(b".")
    fd = os.open(pool_dir / "filler.lock", os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # another filler is at work
        pool.fill(pool_dir, cap=4)
        assert pool.counts(pool_dir)["RSA_2048"] == 0
    finally:
        os.close(fd)


# -- several processes ------------------------------------------------------------------------

_TAKER = """
import hashlib, sys
from cryptography.hazmat.primitives import serialization
from mock_kms.core.crypto import pool
pool.configure(sys.argv[1], background=False)
for _ in range(int(sys.argv[2])):
    der = pool.rsa_private_key("RSA_2048").public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    print(hashlib.sha256(der).hexdigest())
"""


def _env(**extra: str) -> dict[str, str]:
    env = {**os.environ, **extra}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    return env


def test_two_processes_never_get_the_same_material(tmp_path, rsa_2048_keys):
    folder = tmp_path / "pool"
    folder.mkdir()
    pooled = prefill(folder, rsa_2048_keys)
    takers = [
        subprocess.Popen(
            [sys.executable, "-c", _TAKER, str(folder), "6"], stdout=subprocess.PIPE, text=True, env=_env()
        )
        for _ in range(2)
    ]
    outputs = [taker.communicate(timeout=120)[0].split() for taker in takers]
    assert all(taker.returncode == 0 for taker in takers)
    handed = outputs[0] + outputs[1]
    assert len(handed) == 12 and len(set(handed)) == 12  # no key twice, across the two processes
    assert pooled <= set(handed)  # all eight pooled keys were used, each by one process
    assert pool.counts(folder)["RSA_2048"] == 0


_INNER_TEST = """
import hashlib, os
from mock_kms.core.crypto import pool

def record(kms):
    key_id = kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    der = kms.get_public_key(KeyId=key_id)["PublicKey"]
    out = os.environ["POOL_TEST_OUT"]
    with open(os.path.join(out, f"{os.getpid()}-{key_id}"), "w") as f:
        f.write(hashlib.sha256(der).hexdigest())
    if pool._filler is not None:
        with open(os.path.join(out, f"filler-{pool._filler.pid}"), "w") as f:
            f.write(str(pool.directory()))

{tests}
"""


def _inner_suite(tmp_path: Path, count: int) -> tuple[Path, Path]:
    suite = tmp_path / "suite"
    out = tmp_path / "out"
    suite.mkdir()
    out.mkdir()
    tests = "\n".join(f"def test_{i}(kms_mock):\n    record(kms_mock.client())\n" for i in range(count))
    (suite / "test_inner.py").write_text(textwrap.dedent(_INNER_TEST).replace("{tests}", tests))
    return suite, out


def _run_inner(suite: Path, out: Path, *args: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-o", f"cache_dir={suite / 'cache'}", *args],
        cwd=suite,
        capture_output=True,
        text=True,
        env=_env(POOL_TEST_OUT=str(out)),
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return [path.read_text() for path in out.iterdir() if not path.name.startswith("filler-")]


def _suite_pool(suite: Path) -> Path:
    folder = suite / "cache" / "d" / "mock_kms-rsa-pool"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _file_fingerprint(path: Path) -> str:
    der = path.read_bytes().split(b"\n", 2)[2][32:]  # after the header lines and the SHA-256
    return key_fingerprint(serialization.load_der_private_key(der, password=None))


def _assert_fillers_gone(out: Path) -> None:
    for path in out.glob("filler-*"):
        pid = int(path.name.split("-", 1)[1])
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.1)
        else:
            pytest.fail(f"the filler process {pid} outlived the pytest session")


def test_pytest_xdist_workers_never_hand_out_the_same_material(tmp_path, rsa_2048_keys):
    pytest.importorskip("xdist")
    suite, out = _inner_suite(tmp_path, 8)
    pooled = prefill(_suite_pool(suite), rsa_2048_keys[:4])
    handed = _run_inner(suite, out, "-n", "2")
    assert len(handed) == 8 and len(set(handed)) == 8
    assert set(handed) & pooled  # the workers used the pool
    left = {_file_fingerprint(path) for path in _suite_pool(suite).glob("*.key")}
    assert not left & set(handed)  # nothing handed out is still in the pool
    _assert_fillers_gone(out)


def test_pytest_run_uses_the_pool_in_pytest_cache(tmp_path, rsa_2048_keys):
    suite, out = _inner_suite(tmp_path, 1)
    pooled = prefill(_suite_pool(suite), rsa_2048_keys[:1])
    assert set(_run_inner(suite, out)) <= pooled
    _assert_fillers_gone(out)


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["one-process", "xdist"])
def test_cache_clear_empties_the_pool(tmp_path, rsa_2048_keys, workers):
    if workers:
        pytest.importorskip("xdist")
    suite, out = _inner_suite(tmp_path, 2)
    pooled = prefill(_suite_pool(suite), rsa_2048_keys[:2])
    handed = _run_inner(suite, out, "--cache-clear", *workers)  # xdist: every worker clears the cache
    assert len(handed) == 2 and not set(handed) & pooled


@pytest.mark.parametrize(
    "args, ini",
    [(["--mock-kms-rsa-pool=0"], None), ([], "[pytest]\nmock_kms_rsa_pool = 0\n"), (["-p", "no:cacheprovider"], None)],
    ids=["option", "ini", "no-cacheprovider"],
)
def test_opt_out_leaves_the_pool_alone(tmp_path, rsa_2048_keys, args, ini):
    suite, out = _inner_suite(tmp_path, 1)
    if ini:
        (suite / "pytest.ini").write_text(ini)
    folder = _suite_pool(suite)
    pooled = prefill(folder, rsa_2048_keys[:2])
    (handed,) = _run_inner(suite, out, *args)
    assert handed not in pooled
    assert sorted(os.listdir(folder)) == sorted(n for n in os.listdir(folder) if n.endswith(".key"))  # no demand noted
    assert pool.counts(folder)["RSA_2048"] == 2
    assert not list(out.glob("filler-*"))  # and no filler started


def test_outside_pytest_a_pool_directory_is_opt_in(tmp_path, rsa_2048_keys):
    script = textwrap.dedent(
        """
        import hashlib, boto3
        from mock_kms import mock_kms
        from mock_kms.core.crypto import pool
        with mock_kms():
            kms = boto3.client("kms", region_name="us-east-1")
            key_id = kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
            print(hashlib.sha256(kms.get_public_key(KeyId=key_id)["PublicKey"]).hexdigest(), pool.directory())
        """
    )
    folder = tmp_path / "pool"
    folder.mkdir()
    pooled = prefill(folder, rsa_2048_keys[:1])
    env = _env()
    env.pop("MOCK_KMS_RSA_POOL_DIR", None)
    without = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120)
    assert without.stdout.split()[1:] == ["None"] and without.stdout.split()[0] not in pooled
    with_dir = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env=_env(MOCK_KMS_RSA_POOL_DIR=str(folder)),
        timeout=120,
    )
    assert with_dir.returncode == 0, with_dir.stderr
    assert with_dir.stdout.split()[0] in pooled


def test_a_pool_size_that_is_not_a_number_is_a_usage_error(tmp_path):
    suite, out = _inner_suite(tmp_path, 1)
    (suite / "pytest.ini").write_text("[pytest]\nmock_kms_rsa_pool = lots\n")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly"],
        cwd=suite,
        capture_output=True,
        text=True,
        env=_env(POOL_TEST_OUT=str(out)),
        timeout=120,
    )
    assert done.returncode == pytest.ExitCode.USAGE_ERROR
    assert "mock_kms_rsa_pool must be a whole number of keys (0 = off)" in done.stderr
