"""The verifying TLS context, built on a thread while the rest of the start-up runs.

Loading the CA bundle takes 30-60 ms, most of it in OpenSSL with the GIL released, so a thread
started before the heavy imports has it ready by the time the container wires the HTTP
clients: `serve` answers its first tools/list sooner, and nothing changes in what is trusted
(the same `httpx2.create_ssl_context()`, with SSL_CERT_FILE and SSL_CERT_DIR honoured).
"""

from __future__ import annotations

import os
import ssl
import threading
from collections.abc import Callable
from concurrent.futures import Future

from ozon_mcp.domain.errors import ConfigurationError


def verifying_context() -> ssl.SSLContext:
    """The TLS context both HTTP clients share; a CA file or folder that cannot be loaded is a
    configuration error naming the variable that points at it."""
    import httpx2

    try:
        return httpx2.create_ssl_context()
    except (OSError, ssl.SSLError) as exc:
        named = [f"{name}={os.environ[name]}" for name in _CA_VARIABLES if os.environ.get(name)]
        where = " or ".join(named) or "the default CA bundle"
        raise ConfigurationError(
            f"cannot load the certificates to verify TLS with from {where} "
            f"({exc.strerror or exc}); point it at a readable PEM file or folder, or unset it"
        ) from None


_CA_VARIABLES = ("SSL_CERT_FILE", "SSL_CERT_DIR")


class TlsContextInAdvance:
    """A TLS context being built on a daemon thread; `get()` waits for it (or raises its
    error, where the container would have raised it)."""

    def __init__(self, build: Callable[[], ssl.SSLContext] = verifying_context) -> None:
        self._build = build
        self._result: Future[ssl.SSLContext] = Future()
        threading.Thread(target=self._run, name="ozon-mcp tls", daemon=True).start()

    def _run(self) -> None:
        try:
            self._result.set_result(self._build())
        except BaseException as exc:  # handed to whoever asks for the context
            self._result.set_exception(exc)

    def get(self) -> ssl.SSLContext:
        """The context, once built."""
        return self._result.result()
