"""The KMS API over HTTP, for the aws CLI and SDKs in other languages (and other processes).

Command line (``mock-kms serve`` or ``python -m mock_kms serve``)::

    mock-kms serve [--host 127.0.0.1] [--port 4599] [--state FILE] [--seed FILE] [--region REGION]
                   [--verify-signatures]

    aws kms create-key --endpoint-url http://127.0.0.1:4599
    AWS_ENDPOINT_URL_KMS=http://127.0.0.1:4599 node app.js

In a test, for code that runs in another process::

    from mock_kms import kms_server

    with kms_server() as url:                       # http://127.0.0.1:<free port>
        subprocess.run([...], env={**os.environ, "AWS_ENDPOINT_URL_KMS": url}, check=True)

The server answers the same JSON 1.1 wire protocol as the in-process mock (``wire.protocol.handle``),
from a :class:`~mock_kms.mock.KmsMock` of its own that it never activates: nothing in the server's
process is intercepted. Requests are served concurrently (one thread each; the mock serializes
state changes). ``GET /health`` (or ``/_mock_kms/health``) answers ``{"status": "ok", …}``. Each
request is logged on stderr. ``--state FILE`` loads the file at start when it exists and keeps it
on disk: every request answered with success is fsync'ed to it before the answer is sent
(mock_kms/persistence.py); ``--seed FILE`` adds a seed file's keys on start.
``--verify-signatures`` checks SigV4 signatures (mock_kms/wire/sigv4.py). It binds to 127.0.0.1
unless told otherwise, and refuses a non-loopback address without ``--verify-signatures``:
otherwise any client naming an access key id acts as its owner.

The front door answers broken HTTP itself, always AWS-shaped (``{"__type", "message"}``, 4xx):
bodies over ``MAX_BODY_BYTES`` are refused before they are read, connections silent for
``REQUEST_TIMEOUT`` seconds are closed, and a client that disconnects is one log line.
"""

from __future__ import annotations

import http
import ipaddress
import json
import os
import signal
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import IO, Any

from mock_kms.mock import KmsMock
from mock_kms.wire.sigv4 import handle_signed

HEALTH_PATHS = ("/health", "/_mock_kms/health")
DEFAULT_PORT = 4599
# The largest request body accepted; larger ones are refused (413) before they are read.
# Guess: AWS does not publish a KMS request size limit. The largest member is an attestation
# document of up to 262,144 bytes (349,528 in base64), so 1 MiB admits every valid request.
MAX_BODY_BYTES = 1024 * 1024
# Seconds a connection may stay silent while the server waits for a request line, headers or
# body; then it is answered 408 (mid-request) or closed (idle between requests).
REQUEST_TIMEOUT = 60.0
_CHUNK_LINE = 1024  # a chunk-size line longer than this is not a chunk size

# ``__type`` of the errors http.server raises itself (400 bad request line, 414 line too long,
# 431 header too long, 501 -> 405 unknown method), and of the front door's own answers below.
# Guesses: AWS's answers to broken HTTP are unrecorded; these are AWS-shaped, so a client's
# error parser reads them.
_FRONT_DOOR_TYPES = {405: "UnknownOperationException"}


class _RefusedRequest(Exception):
    """A request the front door answers itself (``status``, ``__type``, ``message``); the
    connection is closed after it, as the rest of the body cannot be framed."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class KmsRequestHandler(BaseHTTPRequestHandler):
    server: KmsHttpServer
    protocol_version = "HTTP/1.1"  # keep-alive, as SDKs expect
    server_version = "mock-kms"
    sys_version = ""
    _refusing = False  # set while the front door sends its own error answer

    def setup(self) -> None:
        self.timeout = self.server.request_timeout  # read timeouts: request line, headers, body
        super().setup()

    def handle(self) -> None:
        try:
            super().handle()
        except (ConnectionError, TimeoutError) as error:  # the client went away mid-answer
            self.close_connection = True
            self._log(f"client disconnected: {type(error).__name__}")

    def do_POST(self) -> None:
        started = time.perf_counter()
        try:
            body = self._read_body()
        except _RefusedRequest as refused:
            self._refuse(refused.status, refused.code, refused.message)
            return
        url = f"http://{self.headers.get('Host') or self.server.url.split('//', 1)[1]}{self.path}"
        response = handle_signed(self.server.mock, self.command, url, self.headers, body)
        self._send(response.status, response.headers, response.body)
        if self.server.log is not None:
            target = self.headers.get("X-Amz-Target", "-")
            operation = target.rpartition(".")[2] or "-"
            outcome = "ok"
            if response.status != 200:
                try:
                    outcome = json.loads(response.body).get("__type", "error")
                except ValueError:
                    outcome = "error"
            elapsed = (time.perf_counter() - started) * 1000
            self._log(f"{operation} {response.status} {outcome} {elapsed:.1f}ms")

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if self.headers.get("X-Amz-Target"):
            # Guess (AWS's answer unrecorded): KMS operations are POSTs; say so, AWS-shaped.
            self._refuse(405, "UnknownOperationException", "KMS operations are POST requests, not GET.")
        elif path in HEALTH_PATHS:
            mock = self.server.mock
            body = json.dumps(
                {
                    "status": "ok",
                    "service": "kms",
                    "mock_kms_version": _version(),
                    "account": mock.account,
                    "region": mock.region,
                    "keys": sum(len(here.keys) for here in mock.backend.regions()),
                    "requests": len(mock.calls),
                }
            ).encode()
            self._send(200, {"Content-Type": "application/json"}, body)
        else:
            self._refuse(404, "UnknownOperationException", f"No such path: {path[:200]}; KMS requests are POSTs to /.",
                         close=False)

    def _read_body(self) -> bytes:
        """The request body, refused up front (``_RefusedRequest``) when it is over
        ``MAX_BODY_BYTES``, badly framed, shorter than announced, or too slow to arrive."""
        try:
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                return self._read_chunked()
            values = self.headers.get_all("Content-Length") or []
            if not values:
                return b""
            digits = values[0].strip()
            if len(set(values)) != 1 or not (digits.isascii() and digits.isdigit()):
                raise _RefusedRequest(400, "SerializationException", f"Invalid Content-Length: {values[0][:40]!r}")
            length = int(digits)
            if length > MAX_BODY_BYTES:
                raise _too_large(length)
            body = self.rfile.read(length)
            if len(body) < length:
                raise _RefusedRequest(
                    400, "SerializationException", f"Request body ended after {len(body)} of {length} bytes."
                )
            return body
        except TimeoutError:
            raise _RefusedRequest(408, "RequestTimeoutException", "Timed out waiting for the request body.") from None

    def _read_chunked(self) -> bytes:
        chunks: list[bytes] = []
        total = 0
        while True:
            line = self.rfile.readline(_CHUNK_LINE + 1)
            digits = line.split(b";", 1)[0].strip()
            if len(line) > _CHUNK_LINE or not digits or digits.strip(b"0123456789abcdefABCDEF"):
                raise _RefusedRequest(400, "SerializationException", "Invalid chunked transfer encoding.")
            size = int(digits, 16)
            if size == 0:
                while self.rfile.readline(_CHUNK_LINE + 1) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(chunks)
            total += size
            if total > MAX_BODY_BYTES:
                raise _too_large(total)
            chunk = self.rfile.read(size)
            if len(chunk) < size or self.rfile.readline(3) not in (b"\r\n", b"\n"):
                raise _RefusedRequest(400, "SerializationException", "Request body ended inside a chunk.")
            chunks.append(chunk)

    def _refuse(self, status: int, code: str, message: str, *, close: bool = True) -> None:
        """An AWS-shaped error the front door gives itself (``{"__type", "message"}``)."""
        if close:
            self.close_connection = True  # what is left of the request cannot be framed
        body = json.dumps({"__type": code, "message": message}).encode()
        headers = {"Content-Type": "application/x-amz-json-1.1"}
        if close:
            headers["Connection"] = "close"
        if status == 405:
            headers["Allow"] = "POST"
        self._refusing = True
        try:
            self._send(status, headers, body)
        finally:
            self._refusing = False

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """http.server's own errors (bad request line, unsupported version or method, header
        lines too long): AWS-shaped JSON instead of HTML, always 4xx (an unknown method is a 405)."""
        if code == 501:  # "Unsupported method": only POST (and GET for health) exist here
            code, message = 405, f"Unsupported method {getattr(self, 'command', '')[:40]!r}: KMS requests are POSTs."
        elif code == 505:  # a client error all the same: answered 4xx, as every front-door error
            code, message = 400, (message or "Unsupported HTTP version")[:80]  # http.server names the version
        try:
            phrase = message or http.HTTPStatus(code).phrase
        except ValueError:
            phrase = "Bad request"
        if getattr(self, "request_version", "") == "HTTP/0.9":  # unparsable line: answer in HTTP/1.1 all the same
            self.request_version = self.protocol_version
        self._refuse(code, _FRONT_DOOR_TYPES.get(code, "MalformedHttpRequestException"), phrase)

    def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _log(self, text: str) -> None:
        stream = self.server.log
        if stream is not None:
            try:
                stream.write(f"{time.strftime('%Y-%m-%dT%H:%M:%S')} {self.client_address[0]} {text}\n")
                stream.flush()
            except (OSError, ValueError):
                pass

    def log_request(self, code: Any = "-", size: Any = "-") -> None:
        # POSTs are logged with their operation and outcome in do_POST, unless the front door
        # refused them. A request line that could not be parsed leaves no command or path.
        command = getattr(self, "command", None)
        if command != "POST" or self._refusing:
            line = f"{command} {getattr(self, 'path', '')[:200]}" if command else "malformed request"
            self._log(f"{line} {getattr(code, 'value', code)}")

    def log_message(self, format: str, *args: Any) -> None:
        self._log(format % args)


class KmsHttpServer(ThreadingHTTPServer):
    """A threading HTTP server answering KMS requests from ``mock`` (which it never activates)."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128  # connections waiting to be accepted (socketserver's default is 5)

    def __init__(
        self,
        mock: KmsMock,
        host: str = "127.0.0.1",
        port: int = 0,
        log: IO[str] | None = None,
        *,
        request_timeout: float | None = REQUEST_TIMEOUT,
    ) -> None:
        if not mock.verify_signatures and not is_loopback(host):
            raise ValueError(
                f"refusing to listen on {host or 'all addresses'}, which is not a loopback address, without "
                "--verify-signatures (verify_signatures=True): without them any client that names an access "
                "key id acts as its owner. Listen on 127.0.0.1, or verify signatures."
            )
        self.mock = mock
        self.log = log
        self.request_timeout = request_timeout
        # Open connections, closed by server_close(): a stopped server answers no keep-alive client.
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        host = host.strip("[]")
        if ":" in host:  # an IPv6 address (::1)
            self.address_family = socket.AF_INET6
        super().__init__((host, port), KmsRequestHandler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def server_close(self) -> None:
        super().server_close()
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # already closed by its client

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        if ":" in str(host):
            host = f"[{host}]"
        return f"http://{host}:{port}"


def _too_large(length: int) -> _RefusedRequest:
    return _RefusedRequest(
        413, "RequestEntityTooLargeException",
        f"Request body of {length} bytes exceeds the maximum request size of {MAX_BODY_BYTES} bytes.",
    )


def is_loopback(host: str) -> bool:
    """``host`` can only be reached from this machine (127.0.0.0/8, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _version() -> str:
    from mock_kms import __version__

    return __version__


def _new_mock(
    region: str | None,
    state: str | None,
    seed: str | None,
    log: IO[str] | None,
    durable: bool = False,
    verify_signatures: bool = False,
) -> KmsMock:
    mock = KmsMock(region=region, verify_signatures=verify_signatures)
    if state is not None and durable:
        from mock_kms.persistence import make_durable

        existed = os.path.exists(state)
        make_durable(mock, state)
        if log is not None:
            done = f"loaded state from {state}" if existed else f"created {state}"
            log.write(f"mock-kms: {done} (kept on disk: each success is saved before it is answered)\n")
    elif state is not None:
        if os.path.exists(state):
            mock.load(state)
            if log is not None:
                log.write(f"mock-kms: loaded state from {state}\n")
        elif log is not None:
            log.write(f"mock-kms: {state} does not exist yet; starting empty (it is written on shutdown)\n")
    if seed is not None:
        mock.load_seed(seed)
        if log is not None:
            log.write(f"mock-kms: loaded seed {seed}\n")
    return mock


def serve_forever(
    host: str = "127.0.0.1",
    port: int = DEFAULT_PORT,
    state: str | None = None,
    seed: str | None = None,
    region: str | None = None,
    verify_signatures: bool = False,
) -> int:
    """``mock-kms serve``: serve until SIGINT/SIGTERM. ``state`` is kept on disk after every
    successful request (mock_kms/persistence.py). Returns 0 (2: could not start)."""
    from mock_kms.core.errors import KMSError
    from mock_kms.seed import SeedError
    from mock_kms.state import StateError

    log = sys.stderr
    try:
        mock = _new_mock(region, state, seed, log, durable=True, verify_signatures=verify_signatures)
    except (StateError, SeedError) as error:
        log.write(f"mock-kms: {error}\n")
        return 2
    try:
        server = KmsHttpServer(mock, host, port, log=log)
    except ValueError as error:
        log.write(f"mock-kms: {error}\n")
        return 2
    except (OSError, OverflowError) as error:  # OverflowError: a port outside 0-65535
        log.write(f"mock-kms: cannot listen on {host}:{port}: {getattr(error, 'strerror', None) or error}\n")
        return 2
    stop = threading.Event()

    def request_stop(signum: int, frame: Any) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    thread = threading.Thread(target=server.serve_forever, name="mock-kms-server", daemon=True)
    thread.start()
    log.write(f"mock-kms {_version()} listening on {server.url} (region {mock.region}, account {mock.account})\n")
    if verify_signatures:
        from mock_kms.mock import MOCK_ACCESS_KEY_ID, MOCK_SECRET_ACCESS_KEY

        log.write(
            "mock-kms: signatures are verified; sign with a principal's keys or with "
            f"AWS_ACCESS_KEY_ID={MOCK_ACCESS_KEY_ID} AWS_SECRET_ACCESS_KEY={MOCK_SECRET_ACCESS_KEY}\n"
        )
    log.flush()
    try:
        while not stop.wait(0.5):
            pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        server.shutdown()
        server.server_close()
        thread.join(5)
        if state is not None:
            try:
                mock.durable_state.commit()  # normally already on disk
                log.write(f"mock-kms: saved state to {state}\n")
            except KMSError as error:
                log.write(f"mock-kms: {error.message}\n")
        log.write("mock-kms: stopped\n")
        log.flush()
    return 0


class kms_server:
    """Serve a mock over HTTP on a background thread, for code running in other processes.

    ``with kms_server() as url:`` gives ``http://127.0.0.1:<free port>``. Pass ``mock=`` (a
    :class:`KmsMock`, not started) to share its state and call journal with the test, e.g.
    ``kms_server(mock=kms_mock)`` with the ``kms_mock`` fixture; else the server has its own
    (``server.mock``). ``state=``/``seed=`` load files first, as ``mock-kms serve`` does.
    ``log=sys.stderr`` logs requests. ``durable=True`` keeps ``state`` on disk after every
    successful request (creating it if missing), as ``mock-kms serve --state`` does;
    ``verify_signatures=True`` checks SigV4 signatures (of the given ``mock`` too).
    """

    def __init__(
        self,
        mock: KmsMock | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        region: str | None = None,
        state: str | None = None,
        seed: str | None = None,
        log: IO[str] | None = None,
        durable: bool = False,
        verify_signatures: bool = False,
    ) -> None:
        if durable and state is None:
            raise ValueError("durable=True needs state=<path of the state file>")
        self.mock = mock if mock is not None else _new_mock(region, state, seed, None, durable, verify_signatures)
        if mock is not None:
            if verify_signatures:
                mock.verify_signatures = True
            if state is not None and durable:
                from mock_kms.persistence import make_durable

                make_durable(mock, state)
            elif state is not None:
                mock.load(state)
            if seed is not None:
                mock.load_seed(seed)
        self._host, self._port, self._log = host, port, log
        self._server: KmsHttpServer | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()  # start() and stop() may race (e.g. from several threads)

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the server is not running")
        return self._server.url

    def start(self) -> str:
        with self._lock:
            if self._server is None:
                self._server = KmsHttpServer(self.mock, self._host, self._port, log=self._log)
                self._thread = threading.Thread(
                    target=self._server.serve_forever, name="mock-kms-server", daemon=True
                )
                self._thread.start()
            return self._server.url

    def stop(self) -> None:
        with self._lock:
            server, self._server = self._server, None
            thread, self._thread = self._thread, None
        if server is not None:
            server.shutdown()
            server.server_close()
            if thread is not None:
                thread.join(5)

    def __enter__(self) -> str:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
