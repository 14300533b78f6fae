"""ClientCredentialsAuth: one object accepted by httpx2 and httpx, sync and async flows."""

from __future__ import annotations

import httpx
import httpx2
import pytest
from auth_support import ScriptedEndpoint, async_provider, sync_provider
from fake_clock import FakeClock
from pydantic import SecretStr

from ozon_mcp import ClientCredentialsAuth
from ozon_mcp.adapters.auth import HttpTokenEndpoint, InMemoryTokenCache
from ozon_mcp.domain import ConfigurationError

URL = "https://auth.example.com/token"
SECRET = "client-secret-never-shown"


def _auth(**overrides: object) -> ClientCredentialsAuth:
    values: dict[str, object] = {"token_url": URL, "client_id": "id", "client_secret": SECRET}
    values.update(overrides)
    return ClientCredentialsAuth(**values)  # type: ignore[arg-type]


def test_both_libraries_accept_it_as_auth() -> None:
    auth = _auth()
    assert isinstance(auth, httpx.Auth)
    assert isinstance(auth, httpx2.Auth)
    assert auth.requires_request_body is True
    with httpx.Client(auth=auth) as one, httpx2.Client(auth=auth) as two:
        assert one.auth is auth
        assert two.auth is auth


def test_the_secret_never_appears_in_repr_or_str() -> None:
    auth = _auth(client_secret=SecretStr(SECRET))
    assert SECRET not in repr(auth)
    assert SECRET not in str(auth)
    assert "auth.example.com" in repr(auth)


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"token_url": "http://auth.example.com/token"}, "https"),
        ({"request_format": "xml"}, "json"),
        ({"client_auth": "private_key_jwt"}, "basic"),
        ({"refresh_margin": -1}, "refresh_margin"),
        ({"max_retries": -1}, "max_retries"),
        ({"client_secret": ""}, "^client_secret= is empty"),
        ({"client_id": " "}, "^client_id= is empty"),
        ({"request_format": "xml"}, "^request_format= must be"),
        ({"token_url": "ftp://auth.example.com/token"}, "^token_url= must be an absolute"),
        ({"max_wait": -1}, "max_wait must be a number of seconds"),
        ({"client_secret": None}, "client_secret must be a str"),
    ],
)
def test_bad_arguments_fail_at_construction_with_a_clear_message(
    overrides: dict[str, object], fragment: str
) -> None:
    with pytest.raises(ConfigurationError, match=fragment):
        _auth(**overrides)


def test_max_retries_and_a_retry_policy_are_mutually_exclusive() -> None:
    from ozon_mcp.domain import RetryPolicy

    with pytest.raises(ConfigurationError, match="not both"):
        _auth(max_retries=1, retry=RetryPolicy())


def test_stats_are_none_before_first_use() -> None:
    assert _auth().stats() is None


def test_the_base_auth_flow_is_refused_because_it_cannot_fetch_tokens() -> None:
    with pytest.raises(RuntimeError, match="sync_auth_flow or async_auth_flow"):
        _auth().auth_flow(httpx.Request("GET", "https://api.example.com/"))


def test_from_providers_needs_at_least_one_provider() -> None:
    with pytest.raises(ConfigurationError):
        ClientCredentialsAuth.from_providers()


@pytest.mark.parametrize("library", [httpx, httpx2])
def test_the_sync_flow_replays_the_body_with_a_new_token_after_a_401(library: object) -> None:
    clock = FakeClock()
    endpoint = ScriptedEndpoint()
    auth = ClientCredentialsAuth.from_providers(sync_provider=sync_provider(endpoint, clock))
    request = library.Request("POST", "https://api.example.com/x", content=b'{"a": 1}')  # type: ignore[attr-defined]
    flow = auth.sync_auth_flow(request)
    sent = next(flow)
    assert sent.headers["Authorization"] == "Bearer token-1"
    retried = flow.send(library.Response(401, request=request))  # type: ignore[attr-defined]
    assert retried.headers["Authorization"] == "Bearer token-2"
    assert retried.content == b'{"a": 1}'
    with pytest.raises(StopIteration):
        flow.send(library.Response(401, request=request))  # type: ignore[attr-defined]
    assert endpoint.calls == 2
    stats = auth.stats()
    assert stats is not None
    assert stats.invalidations == 1
    with pytest.raises(ConfigurationError, match="no async token provider"):
        _ = auth.provider


@pytest.mark.anyio
@pytest.mark.parametrize("library", [httpx, httpx2])
async def test_the_async_flow_authorizes_and_stops_on_success(library: object) -> None:
    clock = FakeClock()
    endpoint = ScriptedEndpoint()
    provider = async_provider(endpoint, clock)
    auth = ClientCredentialsAuth.from_providers(provider)
    request = library.Request("GET", "https://api.example.com/x")  # type: ignore[attr-defined]
    flow = auth.async_auth_flow(request)
    sent = await flow.__anext__()
    assert sent.headers["Authorization"] == "Bearer token-1"
    with pytest.raises(StopAsyncIteration):
        await flow.asend(library.Response(200, request=request))  # type: ignore[attr-defined]
    assert auth.provider is provider
    await auth.aclose()
    assert provider.closed


@pytest.mark.anyio
async def test_stats_of_an_auth_used_by_sync_and_async_clients_add_up() -> None:
    clock = FakeClock()
    provider = async_provider(ScriptedEndpoint(), clock)
    threaded = sync_provider(ScriptedEndpoint(), clock)
    auth = ClientCredentialsAuth.from_providers(provider, sync_provider=threaded)
    await provider.get_token()
    await provider.get_token()
    threaded.get_token()
    stats = auth.stats()
    assert stats is not None
    assert (stats.token_requests, stats.cache_hits, stats.waits) == (2, 1, 2)
    assert stats.state == "valid"
    assert stats.fingerprint is not None
    await auth.aclose()
    assert threaded.closed


def _call(auth: ClientCredentialsAuth, status: int) -> list[str]:
    """One sync request through the auth flow, the API answering `status`; the tokens sent."""
    request = httpx2.Request("GET", "https://api.example.com/x")
    flow = auth.sync_auth_flow(request)
    sent = [next(flow).headers["Authorization"]]
    try:
        while True:
            sent.append(
                flow.send(httpx2.Response(status, request=request)).headers["Authorization"]
            )
    except StopIteration:
        return sent


def test_a_persistent_401_backs_off_instead_of_one_token_request_per_call() -> None:
    clock = FakeClock()
    endpoint = ScriptedEndpoint()
    auth = ClientCredentialsAuth.from_providers(sync_provider=sync_provider(endpoint, clock))
    assert _call(auth, 401) == ["Bearer token-1", "Bearer token-2"]  # retried once
    for _ in range(10):  # token-2 was refused too: it is sent as is, the 401 returned
        assert _call(auth, 401) == ["Bearer token-2"]
    assert endpoint.calls == 2
    clock.advance(5.0)  # the first pause (RetryPolicy.rejection_base) is over: one more try
    assert _call(auth, 401) == ["Bearer token-2", "Bearer token-3"]
    assert endpoint.calls == 3
    clock.advance(5.0)  # the second pause is 10 s: still no new token
    assert _call(auth, 401) == ["Bearer token-3"]
    clock.advance(5.0)
    assert _call(auth, 401) == ["Bearer token-3", "Bearer token-4"]
    assert _call(auth, 200) == ["Bearer token-4"]
    assert endpoint.calls == 4


def test_an_accepted_retry_ends_the_rejection_backoff() -> None:
    clock = FakeClock()
    endpoint = ScriptedEndpoint()
    provider = sync_provider(endpoint, clock)
    auth = ClientCredentialsAuth.from_providers(sync_provider=provider)
    request = httpx2.Request("GET", "https://api.example.com/x")
    flow = auth.sync_auth_flow(request)
    next(flow)
    flow.send(httpx2.Response(401, request=request))
    with pytest.raises(StopIteration):
        flow.send(httpx2.Response(200, request=request))  # the replacement was accepted
    assert provider.lifecycle.rejections == 0
    # A later 401 of that token (revoked, say) is again answered with one new token.
    assert _call(auth, 401) == ["Bearer token-2", "Bearer token-3"]


class FakeSharing:
    """A `TokenSharing` in memory: its cache, and a `share` that hands out a scripted endpoint."""

    def __init__(self) -> None:
        self.cache = InMemoryTokenCache()
        self.endpoint = ScriptedEndpoint()
        self.shared: list[tuple[object, dict[str, object]]] = []

    def share(self, endpoint: object, **names: object) -> ScriptedEndpoint:
        self.shared.append((endpoint, names))
        return self.endpoint


@pytest.mark.anyio
async def test_a_sharing_cache_wraps_the_one_endpoint_of_both_providers() -> None:
    sharing = FakeSharing()
    auth = _auth(cache=sharing, proactive_refresh=False, refresh_margin=30)
    [(wrapped, names)] = sharing.shared  # once, for the sync and the async provider alike
    assert isinstance(wrapped, HttpTokenEndpoint)
    assert names["token_url"] == URL
    assert names["client_id"] == "id"
    assert names["rules"].refresh_margin == 30  # type: ignore[attr-defined]
    assert (await auth.provider.get_token()).value == "token-1"
    assert auth.sync_provider.get_token().value == "token-1"  # through the shared cache
    assert sharing.endpoint.calls == 1
    assert sharing.cache.size == 1
    await auth.aclose()
