"""A real SMTP server on loopback (aiosmtpd) for the tests that send e-mail."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from aiosmtpd.controller import Controller


@contextmanager
def smtp_server(handler: object, **controller_options: Any) -> Iterator[int]:
    """Serve `handler` (an aiosmtpd handler: `async handle_DATA(...)`) on a free loopback port; the port.
    `controller_options` go to aiosmtpd's Controller (an authenticator, for instance)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=port, **controller_options)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()
