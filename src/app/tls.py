"""The verifying TLS context both HTTP clients share."""

from __future__ import annotations

import os
import ssl

import httpx2

from ozon_mcp.domain.errors import ConfigurationError

_CA_VARIABLES = ("SSL_CERT_FILE", "SSL_CERT_DIR")


def verifying_context() -> ssl.SSLContext:
    """httpx2's default context (SSL_CERT_FILE and SSL_CERT_DIR honoured); a CA file or folder
    that cannot be loaded is a configuration error naming the variable that points at it."""
    try:
        return httpx2.create_ssl_context()
    except (OSError, ssl.SSLError) as exc:
        named = [f"{name}={os.environ[name]}" for name in _CA_VARIABLES if os.environ.get(name)]
        where = " or ".join(named) or "the default CA bundle"
        raise ConfigurationError(
            f"cannot load the certificates to verify TLS with from {where} "
            f"({exc.strerror or exc}); point it at a readable PEM file or folder, or unset it"
        ) from None
