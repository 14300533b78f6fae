"""The TLS context built ahead on a thread: its result or its error reaches the container."""

from __future__ import annotations

import ssl
import threading

import pytest

from ozon_mcp.app.tls_warmup import TlsContextInAdvance, verifying_context
from ozon_mcp.domain.errors import ConfigurationError


def test_get_returns_the_context_built_on_another_thread() -> None:
    built_on: list[str] = []
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)

    def build() -> ssl.SSLContext:
        built_on.append(threading.current_thread().name)
        return context

    ahead = TlsContextInAdvance(build)
    assert ahead.get() is context
    assert ahead.get() is context  # built once, handed out again
    assert built_on == ["ozon-mcp tls"]


def test_the_builds_error_is_raised_by_get() -> None:
    def build() -> ssl.SSLContext:
        raise ConfigurationError("cannot load the certificates")

    ahead = TlsContextInAdvance(build)
    with pytest.raises(ConfigurationError, match="cannot load the certificates"):
        ahead.get()


def test_an_unreadable_ca_file_is_a_configuration_error_naming_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", "/nonexistent/ca.pem")
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    with pytest.raises(ConfigurationError) as raised:
        verifying_context()
    message = str(raised.value)
    assert "SSL_CERT_FILE=/nonexistent/ca.pem" in message
    assert "No such file or directory" in message
