"""A token endpoint whose TLS certificate does not verify is a setting to fix, not an outage:
one attempt, no retry within the cycle, an error naming the URL and how to make it trust the CA,
remembered for the permanent cool-down (tests/unit/domain/test_domain_untrusted_endpoint.py).
Over loopback HTTPS with `trustme` certificates."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any

import httpx2
import pytest
import trustme
from mcp_support import loopback_server

from ozon_mcp.adapters.auth import HttpTokenEndpoint, TokenEndpointConfig
from ozon_mcp.adapters.auth.endpoint import certificate_failure
from ozon_mcp.domain import FailureKind, FetchFailure, ScopeSet

TRUSTED = trustme.CA()


class TokenHandler(BaseHTTPRequestHandler):
    hits = 0

    def do_POST(self) -> None:
        TokenHandler.hits += 1
        body = b'{"access_token": "abc", "token_type": "Bearer", "expires_in": 1800}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _serve(ca: trustme.CA, host: str) -> Iterator[str]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(host).configure_cert(context)
    TokenHandler.hits = 0
    with loopback_server(TokenHandler, tls=context) as server:
        yield f"https://127.0.0.1:{server.server_address[1]}/oauth/token"


@pytest.fixture
def untrusted_url() -> Iterator[str]:
    yield from _serve(trustme.CA(), "127.0.0.1")  # a CA the client has never heard of


@pytest.fixture
def wrong_host_url() -> Iterator[str]:
    yield from _serve(TRUSTED, "auth.example.invalid")  # trusted CA, issued for another name


@pytest.fixture
def trusted_url() -> Iterator[str]:
    yield from _serve(TRUSTED, "127.0.0.1")


def _endpoint(url: str) -> HttpTokenEndpoint:
    client = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    TRUSTED.configure_trust(client)
    config = TokenEndpointConfig(token_url=url, client_id="id", client_secret="s3cret")
    return HttpTokenEndpoint(config, tls=client)


def _assert_unverified(failure: object, url: str) -> None:
    assert isinstance(failure, FetchFailure), failure
    assert failure.kind is FailureKind.PERMANENT
    assert failure.certificate_unverified
    assert f"the TLS certificate of the token endpoint {url} did not verify" in failure.reason
    assert "CERTIFICATE_VERIFY_FAILED" in failure.reason
    assert "s3cret" not in failure.reason


@pytest.mark.anyio
async def test_an_untrusted_certificate_is_a_permanent_failure_naming_the_url(
    untrusted_url: str,
) -> None:
    endpoint = _endpoint(untrusted_url)
    try:
        failure = await endpoint.request_token(ScopeSet())
    finally:
        await endpoint.aclose()
    _assert_unverified(failure, untrusted_url)
    assert TokenHandler.hits == 0


def test_the_blocking_client_classifies_it_the_same(untrusted_url: str) -> None:
    endpoint = _endpoint(untrusted_url)
    try:
        _assert_unverified(endpoint.request_token_sync(ScopeSet()), untrusted_url)
    finally:
        endpoint.close()


@pytest.mark.anyio
async def test_a_certificate_for_another_host_name_is_the_same_problem(
    wrong_host_url: str,
) -> None:
    endpoint = _endpoint(wrong_host_url)
    try:
        failure = await endpoint.request_token(ScopeSet())
    finally:
        await endpoint.aclose()
    _assert_unverified(failure, wrong_host_url)
    assert "mismatch, certificate is not valid for '127.0.0.1'" in failure.reason  # type: ignore[union-attr]


@pytest.mark.anyio
async def test_a_trusted_certificate_still_gets_its_token(trusted_url: str) -> None:
    endpoint = _endpoint(trusted_url)
    try:
        grant = await endpoint.request_token(ScopeSet())
    finally:
        await endpoint.aclose()
    assert not isinstance(grant, FetchFailure), grant
    assert TokenHandler.hits == 1


@pytest.mark.anyio
async def test_a_refused_connection_is_still_transient() -> None:
    endpoint = _endpoint("https://127.0.0.1:9/oauth/token")  # discard port: nothing listens
    try:
        failure = await endpoint.request_token(ScopeSet())
    finally:
        await endpoint.aclose()
    assert isinstance(failure, FetchFailure)
    assert failure.kind is FailureKind.TRANSIENT
    assert not failure.certificate_unverified


def test_the_verification_error_is_found_behind_httpx2s_connect_error() -> None:
    cause = ssl.SSLCertVerificationError(1, "certificate verify failed")
    wrapped = httpx2.ConnectError(str(cause))
    wrapped.__cause__ = cause  # what `raise ConnectError(...) from exc` in httpcore2 leaves
    assert certificate_failure(wrapped) is cause
    implicit = httpx2.ConnectError("wrapped without from")
    implicit.__context__ = ssl.SSLError("outer")
    implicit.__context__.__context__ = cause
    assert certificate_failure(implicit) is cause
    assert certificate_failure(httpx2.ConnectError("refused")) is None
