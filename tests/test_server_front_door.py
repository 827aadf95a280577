"""The server's front door, over raw sockets: broken HTTP, huge or short bodies, slow and vanishing
clients. Every answer is AWS-shaped JSON (``{"__type", "message"}``) with a 4xx status, nothing is
allocated for a body that is refused, and nothing writes a traceback.
"""

from __future__ import annotations

import io
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import pytest

from mock_kms import KmsMock
from mock_kms.server import MAX_BODY_BYTES, KmsHttpServer

TIMEOUT = 0.5  # the test server's read timeout (the default is 60 s)


class Log(io.StringIO):
    """The server's log stream, readable while the server writes to it."""

    def lines(self) -> list[str]:
        return self.getvalue().splitlines()


@pytest.fixture
def served(capsys) -> Iterator[tuple[tuple[str, int], Log, KmsMock]]:
    mock = KmsMock()
    log = Log()
    server = KmsHttpServer(mock, log=log, request_timeout=TIMEOUT)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server.server_address[:2], log, mock
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
    assert "Traceback" not in capsys.readouterr().err  # socketserver prints handler errors there


def _exchange(address, data: bytes, *, half_close: bool = False, wait: float = 5.0) -> bytes:
    """Send ``data``, optionally half-close, and read until the server closes or goes quiet."""
    with socket.create_connection(address, timeout=wait) as sock:
        sock.sendall(data)
        if half_close:
            sock.shutdown(socket.SHUT_WR)
        received = b""
        try:
            while chunk := sock.recv(65536):
                received += chunk
                if _complete(received):
                    break
        except TimeoutError:
            pass
    return received


def _complete(raw: bytes) -> bool:
    head, sep, body = raw.partition(b"\r\n\r\n")
    if not sep:
        return False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(body) >= int(value)
    return False


def _answer(raw: bytes) -> tuple[int, dict[str, str], dict]:
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return status, headers, json.loads(body)


def _aws_error(raw: bytes, status: int, code: str) -> dict:
    got_status, headers, payload = _answer(raw)
    assert (got_status, payload.get("__type")) == (status, code), raw[:300]
    assert set(payload) == {"__type", "message"} and payload["message"]
    assert headers["content-type"] == "application/x-amz-json-1.1"
    return payload


def _post(target: str = "TrentService.ListKeys", body: bytes = b"{}", extra: str = "") -> bytes:
    return (
        f"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: {target}\r\n"
        f"Content-Type: application/x-amz-json-1.1\r\nContent-Length: {len(body)}\r\n{extra}\r\n"
    ).encode() + body


# -- malformed request lines ----------------------------------------------------------------
@pytest.mark.parametrize(
    ("request_line", "status"),
    [
        (b"GARBAGE\r\n\r\n", 400),
        (b"GET / HTTP/9.9\r\n\r\n", 400),
        (b"POST /" + b"a" * 70 * 1024 + b" HTTP/1.1\r\n\r\n", 414),
        (b"POST / HTTP/1.1\r\nX-Long: " + b"b" * 70 * 1024 + b"\r\n\r\n", 431),
        (b"POST / HTTP/1.x\r\n\r\n", 400),
    ],
)
def test_malformed_request_lines_get_an_aws_shaped_answer(served, request_line, status):
    address, log, _ = served
    _aws_error(_exchange(address, request_line), status, "MalformedHttpRequestException")
    assert any(f" {status}" in line for line in log.lines())


# -- bodies: size, framing, truncation -------------------------------------------------------
def test_a_huge_content_length_is_refused_up_front(served):
    address, _, _ = served
    started = time.monotonic()
    raw = _exchange(address, _post(body=b"").replace(b"Content-Length: 0", f"Content-Length: {10**12}".encode()))
    payload = _aws_error(raw, 413, "RequestEntityTooLargeException")
    assert payload["message"] == (
        f"Request body of {10**12} bytes exceeds the maximum request size of {MAX_BODY_BYTES} bytes."
    )
    assert time.monotonic() - started < TIMEOUT  # answered without waiting for (or reading) a body


def test_a_huge_chunk_size_is_refused_up_front(served):
    address, _, _ = served
    head = b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: TrentService.ListKeys\r\nTransfer-Encoding: chunked\r\n\r\n"
    raw = _exchange(address, head + f"{10**12:x}\r\n".encode() + b"{}")
    _aws_error(raw, 413, "RequestEntityTooLargeException")


def test_a_body_over_the_limit_is_refused_and_a_body_at_the_limit_is_read(served):
    address, _, _ = served
    raw = _exchange(address, _post(body=b" " * (MAX_BODY_BYTES + 1)))
    _aws_error(raw, 413, "RequestEntityTooLargeException")
    raw = _exchange(address, _post(body=b"{}" + b" " * (MAX_BODY_BYTES - 2)))
    assert _answer(raw)[0] == 200


@pytest.mark.parametrize("value", ["-1", "abc", "1e3", "+5", "0x10", "5, 6", "\u00b2", ""])
def test_a_bad_content_length_is_a_client_error(served, value):
    address, _, _ = served
    raw = _exchange(address, _post(body=b"{}").replace(b"Content-Length: 2", f"Content-Length: {value}".encode("latin-1")))
    assert _aws_error(raw, 400, "SerializationException")["message"].startswith("Invalid Content-Length")


def test_two_different_content_lengths_are_a_client_error(served):
    address, _, _ = served
    raw = _exchange(address, _post(body=b"{}", extra="Content-Length: 3\r\n"))
    _aws_error(raw, 400, "SerializationException")


def test_a_truncated_body_is_a_client_error_not_a_request(served):
    address, _, mock = served
    body = json.dumps({"Description": "never made"}).encode()
    data = _post("TrentService.CreateKey", body)
    raw = _exchange(address, data[: len(data) - 5], half_close=True)
    payload = _aws_error(raw, 400, "SerializationException")
    assert payload["message"] == f"Request body ended after {len(body) - 5} of {len(body)} bytes."
    assert not any(here.keys for here in mock.backend.regions())


@pytest.mark.parametrize(
    "body",
    [b"zz\r\n{}\r\n0\r\n\r\n", b"\r\n", b"2\r\n{}XX0\r\n\r\n", b"10\r\n{}"],
    ids=["bad-size", "empty-size", "no-crlf-after-chunk", "short-chunk"],
)
def test_bad_chunked_bodies_are_client_errors(served, body):
    address, _, _ = served
    head = b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: TrentService.ListKeys\r\nTransfer-Encoding: chunked\r\n\r\n"
    raw = _exchange(address, head + body, half_close=True)
    _aws_error(raw, 400, "SerializationException")


def test_a_good_chunked_body_is_still_served(served):
    address, _, _ = served
    head = b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: TrentService.CreateKey\r\nTransfer-Encoding: chunked\r\n\r\n"
    raw = _exchange(address, head + b"2;ext=1\r\n{}\r\n0\r\nTrailer: x\r\n\r\n")
    status, _, payload = _answer(raw)
    assert status == 200 and payload["KeyMetadata"]["KeyState"] == "Enabled"


# -- methods and paths -----------------------------------------------------------------------
@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "OPTIONS", "FOO"])
def test_other_methods_are_405_aws_shaped(served, method):
    address, _, _ = served
    raw = _exchange(address, f"{method} / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n".encode())
    _aws_error(raw, 405, "UnknownOperationException")
    assert _answer(raw)[1]["allow"] == "POST"


def test_a_get_with_a_target_and_an_unknown_path(served):
    address, _, _ = served
    raw = _exchange(address, b"GET / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: TrentService.ListKeys\r\n\r\n")
    assert _aws_error(raw, 405, "UnknownOperationException")["message"] == "KMS operations are POST requests, not GET."
    raw = _exchange(address, b"GET /elsewhere HTTP/1.1\r\nHost: x\r\n\r\n")
    _aws_error(raw, 404, "UnknownOperationException")
    raw = _exchange(address, b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
    assert _answer(raw)[2]["status"] == "ok"


# -- timeouts and disconnects ----------------------------------------------------------------
def test_a_body_that_never_comes_times_out_with_408(served):
    address, _, _ = served
    started = time.monotonic()
    raw = _exchange(address, _post(body=b"{}")[:-2])  # promises 2 bytes, sends none
    _aws_error(raw, 408, "RequestTimeoutException")
    assert time.monotonic() - started < TIMEOUT * 6


def test_idle_connections_do_not_hold_threads(served):
    """20 connections that promise a body and never send it, 20 that send nothing: all closed."""
    address, _, _ = served
    baseline = threading.active_count()
    socks = [socket.create_connection(address) for _ in range(40)]
    try:
        for sock in socks[:20]:
            sock.sendall(_post(body=b"{}")[:-2])
        deadline = time.monotonic() + TIMEOUT * 10
        while threading.active_count() > baseline and time.monotonic() < deadline:
            time.sleep(0.05)
        assert threading.active_count() <= baseline
        for sock in socks:
            sock.settimeout(2)
            received = b""
            while chunk := sock.recv(4096):  # the server closed its side
                received += chunk
            assert received == b"" or received.startswith(b"HTTP/1.1 408 ")
    finally:
        for sock in socks:
            sock.close()


def test_a_client_that_disconnects_is_one_log_line(served):
    address, log, mock = served
    mock.inject_latency("ListKeys", 0.3)  # the answer comes after the client is gone
    for _ in range(3):
        sock = socket.create_connection(address)
        sock.sendall(_post())
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close with RST
        sock.close()
    deadline = time.monotonic() + 5
    while sum("client disconnected" in line for line in log.lines()) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    disconnects = [line for line in log.lines() if "client disconnected" in line]
    assert len(disconnects) == 3, log.lines()
    assert all(line.endswith(("BrokenPipeError", "ConnectionResetError")) for line in disconnects)


def test_keep_alive_still_works(served):
    address, _, _ = served
    with socket.create_connection(address, timeout=5) as sock:
        for _ in range(3):
            sock.sendall(_post())
            received = b""
            while not _complete(received):
                received += sock.recv(65536)
            assert _answer(received)[0] == 200


# -- SIGTERM saves what requests stored ------------------------------------------------------
def test_sigterm_saves_a_lone_surrogate_description(tmp_path):
    state = tmp_path / "state.json"
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "AKIAEXAMPLE", "AWS_SECRET_ACCESS_KEY": "x"}
    process = subprocess.Popen(
        [sys.executable, "-m", "mock_kms", "serve", "--port", "0", "--state", str(state)],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env,
    )
    try:
        line = ""
        while "listening on " not in line:
            line = process.stderr.readline()
            assert line, "mock-kms serve exited early"
        host, port = line.split("listening on http://", 1)[1].split()[0].rsplit(":", 1)
        body = b'{"Description": "lone \\udc80 surrogate"}'  # as plain boto3 writes it
        status, _, payload = _answer(_exchange((host, int(port)), _post("TrentService.CreateKey", body)))
        assert status == 200
        key_id = payload["KeyMetadata"]["KeyId"]
    finally:
        process.send_signal(signal.SIGTERM)
        stderr = process.communicate(timeout=30)[1]
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr
    assert sorted(os.listdir(tmp_path)) == ["state.json"]
    with KmsMock(state=state) as mock:
        described = mock.client().describe_key(KeyId=key_id)["KeyMetadata"]
    assert described["Description"] == "lone \udc80 surrogate"


def test_the_documented_defaults():
    """README: connections silent for 60 s are closed; bodies over 1 MiB are refused."""
    server = KmsHttpServer(KmsMock())
    try:
        assert server.request_timeout == 60.0 and MAX_BODY_BYTES == 1024 * 1024
    finally:
        server.server_close()


# -- review findings: stop, IPv6, port range ----------------------------------------------------
def test_a_stopped_server_answers_no_keep_alive_connection():
    import http.client

    from mock_kms import kms_server

    server = kms_server()
    port = int(server.start().rsplit(":", 1)[1])
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)

    def create_key() -> int:
        headers = {"X-Amz-Target": "TrentService.CreateKey", "Content-Type": "application/x-amz-json-1.1"}
        connection.request("POST", "/", body=b"{}", headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status

    assert create_key() == 200
    server.stop()
    with pytest.raises((ConnectionError, http.client.HTTPException, OSError)):
        create_key()
    connection.close()
    assert len(server.mock.backend.region(server.mock.account, server.mock.region).keys) == 1


def test_ipv6_loopback_is_served():
    if not socket.has_ipv6:
        pytest.skip("no IPv6 on this machine")
    server = KmsHttpServer(KmsMock(), "::1", 0)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        assert server.url == f"http://[::1]:{port}"
        body = b"{}"
        request = (
            b"POST / HTTP/1.1\r\nHost: [::1]\r\nX-Amz-Target: TrentService.ListKeys\r\n"
            b"Content-Type: application/x-amz-json-1.1\r\nConnection: close\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        assert _exchange((host, port), request).startswith(b"HTTP/1.1 200")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_a_port_out_of_range_is_a_usage_error():
    result = subprocess.run(
        [sys.executable, "-m", "mock_kms", "serve", "--port", "70000"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "port must be 0-65535, not 70000" in result.stderr and "Traceback" not in result.stderr
