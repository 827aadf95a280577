"""Durable state: every request answered with success is on disk before its answer leaves.

``mock-kms serve --state FILE`` and ``mock_kms(state=FILE, durable=True)`` (also
``kms_server(state=FILE, durable=True)``) keep ``FILE`` equal to the mock's state after every
successful request, so that ``kill -9``, an OOM kill or a power cut at any moment loses nothing
any client saw acknowledged, and never leaves half a file.

Mechanism: an atomic snapshot replace, group-committed. After a request succeeds (inside
``wire.protocol.handle_request``, before the answer is returned), :meth:`DurableState.commit`
(through :meth:`DurableState.acknowledge`) makes sure a snapshot taken *after* that request's
change — including what the call journal notes, the key's last usage — is on disk:

1. the whole state is encoded with ``state.dump_state`` (the same format ``kms_mock.save``
   writes and ``kms_mock.load`` reads, so nothing about the file is new);
2. if it equals what is already on disk (a DescribeKey, a ListAliases…) nothing is written —
   reads are compared too, rather than skipped by name: a read may create an AWS managed key
   (``alias/aws/<service>``), or show a change whose own request is still being saved, and a
   comparison needs no list of which operation changes what;
3. else it goes to ``FILE.tmp``, which is fsync'ed, renamed over ``FILE`` (``os.replace`` is
   atomic), and the directory is fsync'ed so the rename itself survives a power cut.

Requests that finish while a snapshot is being written wait for the next one, which covers all
of them (a group commit): under concurrency one write acknowledges many requests. Everything the
state file holds is therefore covered — keys, lazily generated key material (made by the first
Encrypt/GetPublicKey/… and on disk before that ciphertext or public key is answered), aliases,
grants, tags, policies, rotations, deletions, custom key stores, principals. Time-driven
transitions (a deletion at the end of its waiting period, an automatic rotation) are derived
from the saved schedule and the clock, so a restart applies them at the same moment. Changes made
in-process outside a request (``kms_mock.iam.create_user(...)``, ``kms_mock.clock.advance(...)``)
are written with the next request's snapshot, or at once by ``kms_mock.durable_state.commit()``.

Why not an append-only log: see BENCHMARKS.md ("Durable state"). In short, a snapshot is
self-contained (no replay code that could drift from the API, no compaction, no log to
repair after a torn write), it reuses the one state format, and for the stores a test or a
team's dev server holds (tens to hundreds of keys) it costs a few milliseconds per changing
request, most of it the fsync a log would pay too.
"""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING

from mock_kms.core.errors import KMSInternalException
from mock_kms.wire.protocol import WireResponse, error_response

if TYPE_CHECKING:
    from mock_kms.journal import CallRecord
    from mock_kms.mock import KmsMock


class DurableState:
    """Keeps ``path`` equal to ``mock``'s state after every :meth:`commit`."""

    def __init__(self, mock: KmsMock, path: str | os.PathLike[str]) -> None:
        self.mock = mock
        self.path = os.path.abspath(os.fspath(path))
        self._temporary = self.path + ".tmp"
        self._condition = threading.Condition()
        self._requested = 0  # commits asked for
        self._durable = 0  # commits covered by a snapshot on disk
        self._writing = False
        self._on_disk: str | None = None  # the last snapshot written (without its saved_at)
        self.snapshots_written = 0

    def open(self) -> None:
        """Write the first snapshot (the file exists and is writable from the start on)."""
        self._write()

    def commit(self) -> None:
        """Return once a snapshot taken after this call began is on disk.

        Raises ``KMSInternalException`` (HTTP 500) if it cannot be written: the caller must
        not answer success then. The next commit tries again.
        """
        with self._condition:
            self._requested += 1
            ticket = self._requested
            while self._durable < ticket:
                if self._writing:
                    self._condition.wait()
                    continue
                # Leader: one snapshot covers every request counted so far (they changed the
                # state before they asked to commit).
                covered = self._requested
                self._writing = True
                self._condition.release()
                try:
                    self._write()
                finally:
                    self._condition.acquire()
                    self._writing = False
                    self._condition.notify_all()
                self._durable = max(self._durable, covered)

    def acknowledge(self, record: CallRecord, response: WireResponse) -> WireResponse:
        """``response`` once the state is on disk; else the error (the journal record says so)."""
        try:
            self.commit()
        except KMSInternalException as error:
            record.error_code, record.error_message = error.code, error.message
            return error_response(error, response.headers["x-amzn-RequestId"])
        return response

    def _write(self) -> None:
        from datetime import datetime, timezone

        from mock_kms.state import canonical_text, checksum_of, dump_state

        # ASCII JSON without saved_at: equal text means nothing changed, and it is what the
        # file's checksum covers (lone surrogates are escaped, so it always encodes).
        text = canonical_text(dump_state(self.mock))
        if text == self._on_disk:
            return
        saved_at = datetime.now(timezone.utc).isoformat()
        stamped = f'{text[:-1]},"saved_at":"{saved_at}","checksum":"{checksum_of(text)}"}}\n'
        try:
            replace_durably(self._temporary, self.path, stamped.encode("ascii"))
        except OSError as error:
            # Not on AWS's list: the mock's own failure, said plainly, with HTTP 500 as AWS
            # sends KMSInternalException.
            failure = KMSInternalException(
                f"mock_kms could not save its state to {self.path}: {error.strerror or error}"
            )
            failure.status = 500
            raise failure from None
        self._on_disk = text
        self.snapshots_written += 1


def replace_durably(temporary: str, target: str, content: bytes) -> None:
    """Write ``content`` to ``target`` atomically and durably (fsync file, rename, fsync dir)."""
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        view = memoryview(content)
        while view:
            written = os.write(descriptor, view)
            view = view[written:]
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    os.replace(temporary, target)
    if hasattr(os, "O_DIRECTORY"):  # POSIX: make the rename itself durable
        directory = os.open(os.path.dirname(target) or ".", os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)


def make_durable(mock: KmsMock, path: str | os.PathLike[str]) -> DurableState:
    """Load ``path`` into ``mock`` if it exists (a bad file raises ``StateError`` and is left
    untouched), then keep it durable from now on."""
    from mock_kms.state import load_state

    if os.path.exists(path):
        load_state(mock, path)
    durable = DurableState(mock, path)
    try:
        durable.open()
    except KMSInternalException as error:
        from mock_kms.state import StateError

        raise StateError(error.message) from None
    mock.durable_state = durable
    return durable
