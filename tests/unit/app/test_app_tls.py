"""A CA bundle that cannot be loaded is a configuration error naming the variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from ozon_mcp.app.tls import verifying_context
from ozon_mcp.domain.errors import ConfigurationError


def test_a_missing_ca_file_is_a_configuration_error_naming_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", "/nonexistent/ca.pem")
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    with pytest.raises(ConfigurationError) as raised:
        verifying_context()
    message = str(raised.value)
    assert "SSL_CERT_FILE=/nonexistent/ca.pem" in message
    assert "No such file or directory" in message


def test_a_file_without_certificates_is_a_configuration_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    not_pem = tmp_path / "ca.pem"
    not_pem.write_text("no certificate here\n", encoding="utf-8")
    monkeypatch.setenv("SSL_CERT_FILE", str(not_pem))
    with pytest.raises(ConfigurationError, match="cannot load the certificates"):
        verifying_context()


def test_the_default_bundle_loads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    assert verifying_context().verify_mode.name == "CERT_REQUIRED"
