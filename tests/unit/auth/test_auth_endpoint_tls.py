"""The token endpoint client verifies TLS and prepares it before any event loop needs it."""

from __future__ import annotations

import ssl

from pydantic import SecretStr

from ozon_mcp.adapters.auth import HttpTokenEndpoint, TokenEndpointConfig


def _endpoint() -> HttpTokenEndpoint:
    config = TokenEndpointConfig(
        token_url="https://auth.example.com/oauth/token",
        client_id="id",
        client_secret=SecretStr("s3cret"),
    )
    return HttpTokenEndpoint(config)


def test_certificates_and_host_names_are_always_verified() -> None:
    tls = _endpoint()._tls
    assert tls.verify_mode is ssl.CERT_REQUIRED
    assert tls.check_hostname is True


def test_the_http_clients_reuse_the_context_built_at_construction() -> None:
    endpoint = _endpoint()
    # Building a client must not load the CA bundle again: that is what stalled the event loop
    # for ~20 ms on the first token request.
    async_pool = endpoint._get_async_client()._transport._pool  # type: ignore[attr-defined]
    sync_pool = endpoint._get_sync_client()._transport._pool  # type: ignore[attr-defined]
    assert async_pool._ssl_context is endpoint._tls
    assert sync_pool._ssl_context is endpoint._tls
    endpoint.close()
