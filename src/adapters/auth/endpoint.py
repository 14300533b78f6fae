"""`HttpTokenEndpoint`: the httpx2 adapter of the `TokenEndpoint` ports (async and sync).

One POST per call, never retried here (retries are the domain's decision). Redirects are not
followed, TLS is always verified, the body read is capped, and every expected failure comes back
as a `FetchFailure` whose reason is safe to log.
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator, Callable, Iterator

import httpx2

from ozon_mcp.adapters.auth.config import TokenEndpointConfig
from ozon_mcp.adapters.auth.redaction import Scrubber
from ozon_mcp.adapters.auth.token_request import build_token_request
from ozon_mcp.adapters.auth.token_response import RawTokenResponse, classify_token_response
from ozon_mcp.domain.clock import Clock, SystemClock
from ozon_mcp.domain.errors import FailureKind
from ozon_mcp.domain.ports import FetchFailure, ScopeSet, TokenGrant, TokenResponse

USER_AGENT = "ozon-mcp token client"

# A verifying TLS context, or what makes it when a client is first built (the server defers
# loading the CA bundle until its first tools/list is answered).
TrustSource = ssl.SSLContext | Callable[[], ssl.SSLContext]


def trust_context(source: TrustSource) -> ssl.SSLContext:
    """The context `source` is or makes."""
    return source() if callable(source) else source


class HttpTokenEndpoint:
    """Asks an OAuth 2.0 token endpoint for client-credentials tokens over httpx2."""

    def __init__(
        self,
        config: TokenEndpointConfig,
        *,
        clock: Clock | None = None,
        tls: TrustSource | None = None,
        scrubber: Scrubber | None = None,
    ) -> None:
        self.config = config
        self._clock = clock or SystemClock()
        # The product's one scrubber when given (it then learns every token issued here).
        self._scrub = scrubber or Scrubber(config.client_id, config.secret_value)
        # Loading the CA bundle takes 20-100 ms of CPU: done once here (or shared by the
        # caller, e.g. with the upstream client, and made before the first fetch), never on the
        # event loop when the first token is fetched, which would stall every other task.
        # Verification is always on.
        self._tls: TrustSource = tls or httpx2.create_ssl_context()
        self._async_client: httpx2.AsyncClient | None = None
        self._sync_client: httpx2.Client | None = None

    def __repr__(self) -> str:
        return f"HttpTokenEndpoint({self.config.token_url!r}, client_id={self.config.client_id!r})"

    # --- the ports ---------------------------------------------------------------------------

    async def request_token(self, scopes: ScopeSet) -> TokenResponse:
        """One token request on the running event loop."""
        prepared = build_token_request(self.config, scopes)
        try:
            async with self._get_async_client().stream(
                "POST", self.config.token_url, content=prepared.content, headers=prepared.headers
            ) as response:
                body, truncated = await _read_capped_async(
                    response.aiter_bytes(), self.config.max_response_bytes
                )
        except httpx2.HTTPError as exc:
            return self._transport_failure(exc)
        return self._classify(response, body, truncated)

    def request_token_sync(self, scopes: ScopeSet) -> TokenResponse:
        """One blocking token request."""
        prepared = build_token_request(self.config, scopes)
        try:
            with self._get_sync_client().stream(
                "POST", self.config.token_url, content=prepared.content, headers=prepared.headers
            ) as response:
                body, truncated = _read_capped(
                    response.iter_bytes(), self.config.max_response_bytes
                )
        except httpx2.HTTPError as exc:
            return self._transport_failure(exc)
        return self._classify(response, body, truncated)

    # --- lifecycle of the HTTP clients ---------------------------------------------------------

    async def aclose(self) -> None:
        """Close the HTTP clients (a later request opens new ones)."""
        client, self._async_client = self._async_client, None
        if client is not None:
            await client.aclose()
        self.close()

    def close(self) -> None:
        """Close the blocking HTTP client (a later request opens a new one)."""
        client, self._sync_client = self._sync_client, None
        if client is not None:
            client.close()

    def _timeout(self) -> httpx2.Timeout:
        config = self.config
        return httpx2.Timeout(
            config.read_timeout, connect=config.connect_timeout, pool=config.connect_timeout
        )

    @staticmethod
    def _limits() -> httpx2.Limits:
        # Token requests are minutes apart: keeping no idle connection means nothing in the
        # client is bound to one event loop, so the same endpoint serves several loops.
        return httpx2.Limits(max_connections=4, max_keepalive_connections=0)

    def _get_async_client(self) -> httpx2.AsyncClient:
        if self._async_client is None:
            # Redirects are not followed: credentials never go to a URL the settings did not name.
            self._async_client = httpx2.AsyncClient(
                timeout=self._timeout(),
                limits=self._limits(),
                follow_redirects=False,
                verify=trust_context(self._tls),
                headers={"User-Agent": USER_AGENT},
            )
        return self._async_client

    def _get_sync_client(self) -> httpx2.Client:
        if self._sync_client is None:
            self._sync_client = httpx2.Client(
                timeout=self._timeout(),
                limits=self._limits(),
                follow_redirects=False,
                verify=trust_context(self._tls),
                headers={"User-Agent": USER_AGENT},
            )
        return self._sync_client

    # --- classification ------------------------------------------------------------------------

    def _classify(self, response: httpx2.Response, body: bytes, truncated: bool) -> TokenResponse:
        raw = RawTokenResponse(response.status_code, dict(response.headers), body, truncated)
        result = classify_token_response(raw, scrub=self._scrub, wall_now=self._clock.now())
        if isinstance(result, TokenGrant):
            # Before anyone can use it: a log line or an echo quoting it is then scrubbed, and
            # it stays hidden after a refresh replaces it (it may still be valid).
            self._scrub.remember(result.access_token.get_secret_value())
        return result

    def _transport_failure(self, exc: httpx2.HTTPError) -> FetchFailure:
        unverified = certificate_failure(exc)
        if unverified is not None:
            # Configuration, not weather: retrying within the cycle cannot make the certificate
            # verify, and the permanent cool-down keeps the endpoint from being hammered.
            where = self._scrub(self.config.token_url, limit=200)
            why = self._scrub(unverified.verify_message or str(unverified), limit=120)
            return FetchFailure(
                FailureKind.PERMANENT,
                f"the TLS certificate of the token endpoint {where} did not verify "
                f"(CERTIFICATE_VERIFY_FAILED: {why})",
                certificate_unverified=True,
            )
        return FetchFailure(FailureKind.TRANSIENT, describe_transport_error(exc, self._scrub))


def certificate_failure(exc: BaseException) -> ssl.SSLCertVerificationError | None:
    """The certificate verification error behind a failed connection, if that is what it was
    (httpx2 wraps it in a ConnectError; the chain is walked, bounded against cycles)."""
    seen: BaseException | None = exc
    for _ in range(10):
        if seen is None:
            return None
        if isinstance(seen, ssl.SSLCertVerificationError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def describe_transport_error(exc: httpx2.HTTPError, scrub: Scrubber) -> str:
    """A log-safe sentence for a network-level failure of the token request."""
    sentences: dict[type[Exception], str] = {
        httpx2.ConnectTimeout: "timed out connecting to the token endpoint",
        httpx2.ReadTimeout: "timed out waiting for the token endpoint to answer",
        httpx2.WriteTimeout: "timed out sending the token request",
        httpx2.PoolTimeout: "timed out waiting for a free connection to the token endpoint",
        httpx2.ConnectError: "could not connect to the token endpoint",
        httpx2.RemoteProtocolError: "the token endpoint broke the HTTP protocol",
        httpx2.ReadError: "the connection to the token endpoint failed while reading",
        httpx2.WriteError: "the connection to the token endpoint failed while sending",
    }
    what = sentences.get(type(exc), f"the token request failed ({type(exc).__name__})")
    detail = scrub(str(exc), limit=120)
    return f"{what}: {detail}" if detail else what


async def _read_capped_async(chunks: AsyncIterator[bytes], cap: int) -> tuple[bytes, bool]:
    """At most `cap` bytes of a streamed body, and whether more was there."""
    buffer = bytearray()
    async for chunk in chunks:
        buffer += chunk
        if len(buffer) > cap:
            return bytes(buffer[:cap]), True
    return bytes(buffer), False


def _read_capped(chunks: Iterator[bytes], cap: int) -> tuple[bytes, bool]:
    """At most `cap` bytes of a streamed body, and whether more was there."""
    buffer = bytearray()
    for chunk in chunks:
        buffer += chunk
        if len(buffer) > cap:
            return bytes(buffer[:cap]), True
    return bytes(buffer), False
