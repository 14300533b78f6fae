"""A CA bundle that cannot be loaded is a configuration error naming the variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from ozon_mcp.app.tls import check_ca_variables, verifying_context
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


@pytest.mark.parametrize(
    ("variable", "value", "reason"),
    [
        ("SSL_CERT_FILE", "/nonexistent/ca.pem", "No such file or directory"),
        ("SSL_CERT_FILE", "{not_pem}", "no PEM certificate in the file"),
        ("SSL_CERT_DIR", "/nonexistent/certs", "not a readable folder"),
        ("SSL_CERT_DIR", "{not_pem}", "not a readable folder"),
    ],
)
def test_the_start_up_check_refuses_what_cannot_hold_certificates(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, variable: str, value: str, reason: str
) -> None:
    not_pem = tmp_path / "ca.pem"
    not_pem.write_text("no certificate here\n", encoding="utf-8")
    value = value.format(not_pem=not_pem)
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigurationError) as raised:
        check_ca_variables()
    message = str(raised.value)
    assert f"{variable}={value}" in message
    assert reason in message
    assert "cannot load the certificates" in message


def test_the_start_up_check_accepts_a_pem_bundle_and_a_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    bundle = tmp_path / "ca.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n", "ascii")
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    check_ca_variables()  # raises nothing: the bundle is loaded (and judged) later
    monkeypatch.delenv("SSL_CERT_FILE")
    monkeypatch.setenv("SSL_CERT_DIR", str(tmp_path))
    check_ca_variables()
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    with pytest.raises(ConfigurationError):  # loading it does judge the certificates
        verifying_context()
