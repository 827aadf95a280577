"""Shared fixtures. Tests drive the mock through boto3, as users do."""

from __future__ import annotations

import socket

import pytest


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch):
    """Fail the test on any attempt to open a network connection."""
    attempts: list[object] = []

    def guard(*args: object, **kwargs: object) -> None:
        attempts.append(args)
        raise AssertionError(f"network access attempted: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", guard)
    monkeypatch.setattr(socket.socket, "connect_ex", guard)
    monkeypatch.setattr(socket, "create_connection", guard)
    monkeypatch.setattr(socket, "getaddrinfo", guard)
    yield attempts
    assert attempts == []


@pytest.fixture
def kms(kms_mock):
    """A boto3 KMS client bound to the active mock (the `kms_mock` fixture is our plugin's)."""
    return kms_mock.client("kms")
