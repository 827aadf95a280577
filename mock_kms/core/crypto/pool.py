"""A pool of pre-generated RSA private keys, so that a new RSA key costs milliseconds.

Generating an RSA_4096 key takes 0.1–1.2 s. Every RSA key the mock makes — the material of
RSA_2048/3072/4096 KMS keys, RSA data key pairs, the wrapping keys of GetParametersForImport —
is an RSA private key of one of three sizes (e = 65537), taken from here:

* With no directory configured (the default outside pytest) :func:`rsa_private_key` just
  generates the key, as before: nothing is written to disk, no process is started.
* With a directory (the pytest plugin uses pytest's cache, ``.pytest_cache/d/mock_kms-rsa-pool``;
  elsewhere ``MOCK_KMS_RSA_POOL_DIR``), each key is one file. Taking a key *renames* its file to a
  name private to the taker — an atomic step that only one process can win — then reads and
  deletes it, so every key is handed out once, across processes and pytest-xdist workers alike.
  An empty pool is never waited on: the request generates its own key, as it would without a pool.
* The first time a process asks for RSA material, a filler process is started (one per
  directory, ``nice`` 19) that tops the pool up for the next run: for each size, as many keys as
  the last run that used that size took (at least :data:`MIN_TARGET`, at most the cap), and only
  for sizes that were used. It exits when the pool is full, when its parent exits, or when the
  pytest session ends (the plugin stops it).
* Files are written under a temporary name and renamed into place (a reader never sees half a
  file), start with a format header and carry a SHA-256 of the key; anything else — a corrupted,
  truncated or foreign file — is deleted and never used, and reading it never raises.
"""

from __future__ import annotations

import atexit
import hashlib
import math
import os
import secrets
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

RSA_BITS = {"RSA_2048": 2048, "RSA_3072": 3072, "RSA_4096": 4096}
DEFAULT_CAP = 64  # keys kept per RSA size at most (pytest option mock_kms_rsa_pool)
MIN_TARGET = 4  # keys kept per RSA size that has been used
_MAGIC = b"mock_kms rsa pool v1\n"
_SUFFIX = ".key"

_lock = threading.Lock()
_directory: Path | None = None
_cap = DEFAULT_CAP
_filler: subprocess.Popen | None = None
_filler_parent = 0  # the process that started _filler (a forked child inherits the handle)
_filler_started = False
# SHA-256 of every key handed out by this process: a copied pool file is never used twice.
_handed_out: set[bytes] = set()


def configure(directory: str | os.PathLike[str] | None, *, cap: int = DEFAULT_CAP, background: bool = True) -> None:
    """Use ``directory`` as the pool (None: no pool, keys are generated on demand).

    ``cap``: keys kept per RSA size at most; 0 turns the pool off. ``background``: start a
    filler process on first use (False: only take what is there).
    """
    global _directory, _cap, _filler_started
    stop_filler()
    with _lock:
        _cap = cap
        _directory = Path(directory) if directory is not None and cap > 0 else None
        _filler_started = not background
        if _directory is not None:
            try:
                _directory.mkdir(parents=True, exist_ok=True)
            except OSError:
                _directory = None


def directory() -> Path | None:
    """The pool directory in use, if any."""
    return _directory


def begin_run() -> None:
    """A new run starts (the pytest controller calls this once): the demand of the previous
    run that used each size becomes the target the filler keeps for the next one."""
    folder = _directory
    if folder is None:
        return
    for spec in RSA_BITS:
        current = folder / f"demand-{spec}"
        try:
            if current.stat().st_size:
                os.replace(current, folder / f"demand-{spec}.last")
        except OSError:
            pass


def rsa_private_key(key_spec: str) -> Any:
    """A new RSA private key of ``key_spec`` (RSA_2048/3072/4096): pooled if a piece is
    ready, else generated now. Never the same key twice."""
    folder = _directory
    if folder is not None:
        _note_demand(folder, key_spec)
        _start_filler(folder)
        key = _take(folder, key_spec)
        if key is not None:
            return key
    return generate(key_spec)


def generate(key_spec: str) -> Any:
    from cryptography.hazmat.primitives.asymmetric import rsa

    return rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS[key_spec])


# -- taking -------------------------------------------------------------------------------


def _take(folder: Path, key_spec: str) -> Any:
    prefix = f"{key_spec}-"
    try:
        names = [name for name in os.listdir(folder) if name.startswith(prefix) and name.endswith(_SUFFIX)]
    except OSError:
        return None
    for name in names:
        claimed = folder / f".taken-{secrets.token_hex(8)}"
        try:
            os.rename(folder / name, claimed)  # atomic: if another process won, it fails here
        except OSError:
            continue
        try:
            data = claimed.read_bytes()
        except OSError:
            data = b""
        finally:
            try:
                claimed.unlink()
            except OSError:
                pass
        key = _decode(data, key_spec)
        if key is not None:
            return key
    return None


def encode(key_spec: str, private_key: Any) -> bytes:
    """The file form of a pooled key: header, spec, SHA-256 of the DER, PKCS#8 DER."""
    from cryptography.hazmat.primitives import serialization

    der = private_key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return _MAGIC + key_spec.encode() + b"\n" + hashlib.sha256(der).digest() + der


def _decode(data: bytes, key_spec: str) -> Any:
    """The key in ``data``, or None if it is not an intact pool file of ``key_spec``."""
    head = _MAGIC + key_spec.encode() + b"\n"
    if not data.startswith(head) or len(data) < len(head) + 32:
        return None
    digest, der = data[len(head) : len(head) + 32], data[len(head) + 32 :]
    if hashlib.sha256(der).digest() != digest:
        return None
    with _lock:
        if digest in _handed_out:
            return None
        _handed_out.add(digest)
    try:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        # OpenSSL's full RSA check costs ~0.25 s for RSA_4096 — as much as generating one. The
        # checksum rules out damage; the arithmetic below rules out a key that is not a key.
        key = serialization.load_der_private_key(der, password=None, unsafe_skip_rsa_key_validation=True)
        if not isinstance(key, rsa.RSAPrivateKey) or key.key_size != RSA_BITS[key_spec]:
            return None
        numbers = key.private_numbers()
        public = numbers.public_numbers
        p, q, d = numbers.p, numbers.q, numbers.d
        consistent = (
            public.e == 65537
            and p * q == public.n
            and (public.e * d) % math.lcm(p - 1, q - 1) == 1
            and numbers.dmp1 == d % (p - 1)  # the CRT values OpenSSL signs and decrypts with
            and numbers.dmq1 == d % (q - 1)
            and (numbers.iqmp * q) % p == 1
        )
        return key if consistent else None
    except Exception:  # whatever a foreign file makes the parser do: not used, never raised
        return None


def _note_demand(folder: Path, key_spec: str) -> None:
    try:  # one byte per request for this size; appends are atomic across processes
        fd = os.open(folder / f"demand-{key_spec}", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, b".")
        finally:
            os.close(fd)
    except OSError:
        pass


# -- filling ------------------------------------------------------------------------------


def _start_filler(folder: Path) -> None:
    global _filler, _filler_started, _filler_parent
    if _filler_started:
        return
    with _lock:
        if _filler_started:
            return
        _filler_started = True
        if not sys.executable or _filler_running(folder):  # no interpreter to start (embedded Python)
            return
        package_parent = str(Path(__file__).resolve().parents[3])
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, [package_parent, os.environ.get("PYTHONPATH")])),
        }
        try:
            _filler = subprocess.Popen(
                [sys.executable, "-m", "mock_kms.core.crypto.pool", str(folder), str(_cap), str(os.getpid())],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env=env,
                close_fds=True,
            )
            _filler_parent = os.getpid()
        except OSError:
            _filler = None


def stop_filler() -> None:
    """Stop the filler this process started, if it is still running (session end, exit)."""
    global _filler
    with _lock:
        filler, _filler = _filler, None
    if filler is not None and _filler_parent == os.getpid() and filler.poll() is None:  # not a fork's
        filler.terminate()
        try:
            filler.wait(timeout=5)
        except subprocess.TimeoutExpired:
            filler.kill()
            filler.wait()


atexit.register(stop_filler)
# Outside pytest there is no pool unless MOCK_KMS_RSA_POOL_DIR names a directory for one.
if os.environ.get("MOCK_KMS_RSA_POOL_DIR"):
    configure(os.environ["MOCK_KMS_RSA_POOL_DIR"])


def _filler_running(folder: Path) -> bool:
    try:
        import fcntl
    except ImportError:  # no advisory locks (Windows): a second filler is only wasted work
        return False
    try:
        fd = os.open(folder / "filler.lock", os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(fd)  # releases the lock if we got it
    return False


def counts(folder: Path) -> dict[str, int]:
    """Keys ready in ``folder``, per RSA key spec."""
    found = dict.fromkeys(RSA_BITS, 0)
    try:
        names = os.listdir(folder)
    except OSError:
        return found
    for name in names:
        spec = name.rsplit("-", 1)[0]
        if name.endswith(_SUFFIX) and spec in found:
            found[spec] += 1
    return found


def targets(folder: Path, cap: int) -> dict[str, int]:
    """How many keys the filler keeps per size: the larger demand of this run and of the last
    run that used the size, at least MIN_TARGET, at most ``cap``; 0 for a size never used."""
    wanted = {}
    for spec in RSA_BITS:
        demand = 0
        for name in (f"demand-{spec}", f"demand-{spec}.last"):
            try:
                demand = max(demand, (folder / name).stat().st_size)
            except OSError:
                pass
        wanted[spec] = min(cap, max(MIN_TARGET, demand)) if demand else 0
    return wanted


def add(folder: Path, key_spec: str, private_key: Any) -> None:
    """Put a key into the pool (written under a temporary name, then renamed into place)."""
    token = secrets.token_hex(8)
    temporary = folder / f".tmp-{token}"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, encode(key_spec, private_key))
    finally:
        os.close(fd)
    os.rename(temporary, folder / f"{key_spec}-{token}{_SUFFIX}")


def fill(folder: Path, cap: int, parent: int | None = None) -> None:
    """Top the pool up to :func:`targets`, one key at a time, most-lacking size first.

    Holds ``filler.lock`` throughout (one filler per directory); stops early if ``parent``
    (the process that started it) is gone.
    """
    try:
        import fcntl
    except ImportError:  # no advisory locks (Windows)
        fcntl = None
    lock = os.open(folder / "filler.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        if fcntl is not None:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(lock)
        return  # another filler is at work
    try:
        _clean(folder)
        while parent is None or os.getppid() == parent:
            have, want = counts(folder), targets(folder, cap)
            lacking = [spec for spec in RSA_BITS if have[spec] < want[spec]]
            if not lacking:
                return
            spec = min(lacking, key=lambda s: have[s] / want[s])
            add(folder, spec, generate(spec))
    finally:
        os.close(lock)


def _clean(folder: Path) -> None:
    """Remove files a killed process left half-done (temporary and claimed files)."""
    for name in os.listdir(folder):
        if name.startswith((".tmp-", ".taken-")):
            try:
                os.unlink(folder / name)
            except OSError:
                pass


def _main(argv: list[str]) -> None:
    folder, cap, parent = Path(argv[0]), int(argv[1]), int(argv[2])
    if hasattr(os, "nice"):
        os.nice(19)  # use only CPU the tests leave idle
    try:
        fill(folder, cap, parent)
    except (OSError, KeyboardInterrupt):
        pass


if __name__ == "__main__":
    _main(sys.argv[1:])
