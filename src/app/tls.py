"""The verifying TLS context both HTTP clients share."""

from __future__ import annotations

import os
import ssl

import httpx2

from ozon_mcp.domain.errors import ConfigurationError

_CA_VARIABLES = ("SSL_CERT_FILE", "SSL_CERT_DIR")


def check_ca_variables() -> None:
    """Refuse, at start-up and cheaply, a SSL_CERT_FILE or SSL_CERT_DIR that cannot hold the
    certificates to trust: missing, unreadable, or a file with no PEM block. The bundle itself
    is loaded later (`verifying_context`, when the first HTTP client is built), since that
    costs 50-100 ms; certificates OpenSSL then refuses are reported there."""
    # The order httpx2 follows: SSL_CERT_FILE wins, SSL_CERT_DIR is read only without it.
    if cafile := os.environ.get("SSL_CERT_FILE"):
        try:
            with open(cafile, "rb") as bundle:
                holds_pem = b"-----BEGIN " in bundle.read()
        except OSError as exc:
            raise _unloadable(exc) from None
        if not holds_pem:
            raise _unloadable(ssl.SSLError("no PEM certificate in the file"))
    elif (capath := os.environ.get("SSL_CERT_DIR")) and not _readable_folder(capath):
        raise _unloadable(OSError("not a readable folder"))


def _readable_folder(path: str) -> bool:
    return os.path.isdir(path) and os.access(path, os.R_OK | os.X_OK)


def verifying_context() -> ssl.SSLContext:
    """httpx2's default context (SSL_CERT_FILE and SSL_CERT_DIR honoured); a CA file or folder
    that cannot be loaded is a configuration error naming the variable that points at it."""
    try:
        return httpx2.create_ssl_context()
    except (OSError, ssl.SSLError) as exc:
        raise _unloadable(exc) from None


def _unloadable(exc: OSError | ssl.SSLError) -> ConfigurationError:
    named = [f"{name}={os.environ[name]}" for name in _CA_VARIABLES if os.environ.get(name)]
    where = " or ".join(named) or "the default CA bundle"
    return ConfigurationError(
        f"cannot load the certificates to verify TLS with from {where} "
        f"({exc.strerror or exc}); point it at a readable PEM file or folder, or unset it"
    )
