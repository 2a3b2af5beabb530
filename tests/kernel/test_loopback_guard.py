"""The suite's own guard: a test that tries to leave loopback fails instead of touching the network."""

import socket

import pytest


def test_non_loopback_connections_are_refused():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s, pytest.raises(ConnectionRefusedError, match="loopback"):
        s.connect(("192.0.2.1", 80))  # TEST-NET-1: never reached


def test_loopback_connections_are_allowed():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        with socket.create_connection(server.getsockname(), timeout=2):
            pass
