"""Token-manager contenders: client factories with one uniform interface.

Each contender builds an async client (and a sync one where the library has it) for given
endpoints, optionally with a refresh margin and an in-process transport (`mock=True`: every
request is answered with a static response, no sockets). Scenarios see only `Subject`.

Authlib note: Authlib 1.9 builds its httpx integration on httpx2 whenever httpx2 is importable
(`authlib/integrations/httpx_client/_compat.py`); ozon-mcp depends on httpx2, so Authlib runs on
httpx2 here and is compared with the httpx2 floor (`AUTHLIB_LIBRARY` says which it is). It
always sends form-encoded token requests, so the emulator runs in `--generic` mode for every
contender (ours keeps its JSON default).
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import httpx2
import httpx_auth
from authlib.integrations.httpx_client import AsyncOAuth2Client, OAuth2Client
from authlib.integrations.httpx_client._compat import httpx2 as authlib_http

from benchmarks.servers import CLIENT_ID, CLIENT_SECRET, TOKEN_PATH
from ozon_mcp import ClientCredentialsAuth  # the public import users write (issue 9)

MOCK_API_BASE = "http://api.bench.invalid"
OUR_DEFAULT_MARGIN = inspect.signature(ClientCredentialsAuth).parameters["refresh_margin"].default
# The HTTP library Authlib runs on here: "httpx2" when importable, else the deprecated httpx.
AUTHLIB_LIBRARY = authlib_http.__name__
RESOURCE_BODY = json.dumps({"list": [{"id": "1", "title": "bench"}], "total": 1}).encode()


@dataclass(frozen=True)
class Endpoints:
    """Where a subject sends token requests and API calls, and the floors' static token."""

    token_url: str
    api_base: str
    static_token: str
    client_id: str = CLIENT_ID
    client_secret: str = CLIENT_SECRET


@dataclass
class Subject:
    """An async client under test: `prime()` once (Authlib's documented first fetch), then use."""

    client: Any
    prime: Callable[[], Awaitable[None]]
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    auth: Any = None

    async def get(self, path: str) -> int:
        """GET `path`; the status code (exceptions propagate to the scenario)."""
        response = await self.client.get(path)
        return int(response.status_code)

    async def aclose(self) -> None:
        for close in self.closers:
            await close()


@dataclass
class SyncSubject:
    """A sync client under test."""

    client: Any
    prime: Callable[[], None]
    close: Callable[[], None]

    def get(self, path: str) -> int:
        return int(self.client.get(path).status_code)


AsyncFactory = Callable[[Endpoints, "float | None", bool], Subject]
SyncFactory = Callable[[Endpoints, "float | None", bool], SyncSubject]


@dataclass(frozen=True)
class Contender:
    """One token manager on one HTTP library; `floor` names the floor it is compared with."""

    key: str
    label: str
    library: str
    floor: str
    manages_tokens: bool
    make: AsyncFactory
    make_sync: SyncFactory | None = None


def _static_answer(request: Any, response_class: Any) -> Any:
    if request.url.path == TOKEN_PATH:
        token = {"access_token": "mock-token", "token_type": "Bearer", "expires_in": 3600}
        return response_class(200, json=token)
    return response_class(200, content=RESOURCE_BODY, headers={"content-type": "application/json"})


def _transport(library: Any, mock: bool) -> Any:
    if not mock:
        return None
    return library.MockTransport(lambda request: _static_answer(request, library.Response))


def _base(endpoints: Endpoints, mock: bool) -> str:
    return MOCK_API_BASE if mock else endpoints.api_base


async def _nothing() -> None:
    return None


# --- the floor: a static token, no token management --------------------------------------------


def _floor(library: Any) -> AsyncFactory:
    def make(endpoints: Endpoints, margin: float | None, mock: bool) -> Subject:
        client = library.AsyncClient(
            base_url=_base(endpoints, mock),
            headers={"Authorization": f"Bearer {endpoints.static_token}"},
            transport=_transport(library, mock),
        )
        return Subject(client, _nothing, [client.aclose])

    return make


def _floor_sync(library: Any) -> SyncFactory:
    def make(endpoints: Endpoints, margin: float | None, mock: bool) -> SyncSubject:
        client = library.Client(
            base_url=_base(endpoints, mock),
            headers={"Authorization": f"Bearer {endpoints.static_token}"},
            transport=_transport(library, mock),
        )
        return SyncSubject(client, lambda: None, client.close)

    return make


# --- ours: ClientCredentialsAuth ---------------------------------------------------------------


def _our_auth(endpoints: Endpoints, margin: float | None) -> ClientCredentialsAuth:
    return ClientCredentialsAuth(
        token_url=endpoints.token_url,
        client_id=endpoints.client_id,
        client_secret=endpoints.client_secret,
        refresh_margin=OUR_DEFAULT_MARGIN if margin is None else margin,
    )


def _ours(library: Any) -> AsyncFactory:
    def make(endpoints: Endpoints, margin: float | None, mock: bool) -> Subject:
        auth = _our_auth(endpoints, margin)
        client = library.AsyncClient(
            base_url=_base(endpoints, mock), auth=auth, transport=_transport(library, mock)
        )
        return Subject(client, _nothing, [client.aclose, auth.aclose], auth=auth)

    return make


def _ours_sync(library: Any) -> SyncFactory:
    def make(endpoints: Endpoints, margin: float | None, mock: bool) -> SyncSubject:
        auth = _our_auth(endpoints, margin)
        client = library.Client(
            base_url=_base(endpoints, mock), auth=auth, transport=_transport(library, mock)
        )

        def close() -> None:
            client.close()
            auth.close()

        return SyncSubject(client, lambda: None, close)

    return make


# --- Authlib: AsyncOAuth2Client / OAuth2Client with grant_type=client_credentials ----------------


def _authlib_kwargs(endpoints: Endpoints, margin: float | None, mock: bool) -> dict[str, Any]:
    kwargs: dict[str, Any] = {
        "client_id": endpoints.client_id,
        "client_secret": endpoints.client_secret,
        "token_endpoint": endpoints.token_url,
        "grant_type": "client_credentials",
        "token_endpoint_auth_method": "client_secret_post",
        "base_url": _base(endpoints, mock),
        "transport": _transport(authlib_http, mock),
    }
    if margin is not None:
        kwargs["leeway"] = margin
    return kwargs


def _authlib(endpoints: Endpoints, margin: float | None, mock: bool) -> Subject:
    client = AsyncOAuth2Client(**_authlib_kwargs(endpoints, margin, mock))

    async def prime() -> None:
        # A cold AsyncOAuth2Client raises MissingTokenError; its docs fetch the first token.
        await client.fetch_token()

    return Subject(client, prime, [client.aclose])


def _authlib_sync(endpoints: Endpoints, margin: float | None, mock: bool) -> SyncSubject:
    client = OAuth2Client(**_authlib_kwargs(endpoints, margin, mock))
    return SyncSubject(client, lambda: client.fetch_token(), client.close)


# --- httpx-auth: OAuth2ClientCredentials -----------------------------------------------------


def _httpx_auth_flow(
    endpoints: Endpoints, margin: float | None
) -> tuple[httpx_auth.OAuth2ClientCredentials, httpx.Client]:
    # Its token cache is class-level (shared by every instance in the process): empty it so that
    # each subject starts cold, as a fresh process would.
    httpx_auth.OAuth2.token_cache.clear()
    # One token client for the subject's life (its `client=` option) rather than its default of
    # a new httpx.Client, with a new TLS context, for every token request: the peer at its best.
    token_client = httpx.Client()
    tuning = {} if margin is None else {"early_expiry": margin}
    flow = httpx_auth.OAuth2ClientCredentials(
        endpoints.token_url,
        client_id=endpoints.client_id,
        client_secret=endpoints.client_secret,
        client=token_client,
        **tuning,
    )
    return flow, token_client


def _httpx_auth(endpoints: Endpoints, margin: float | None, mock: bool) -> Subject:
    flow, token_client = _httpx_auth_flow(endpoints, margin)
    client = httpx.AsyncClient(
        base_url=_base(endpoints, mock), auth=flow, transport=_transport(httpx, mock)
    )

    async def close_token_client() -> None:
        token_client.close()

    return Subject(client, _nothing, [client.aclose, close_token_client])


def _httpx_auth_sync(endpoints: Endpoints, margin: float | None, mock: bool) -> SyncSubject:
    flow, token_client = _httpx_auth_flow(endpoints, margin)
    client = httpx.Client(
        base_url=_base(endpoints, mock), auth=flow, transport=_transport(httpx, mock)
    )

    def close() -> None:
        client.close()
        token_client.close()

    return SyncSubject(client, lambda: None, close)


CONTENDERS: tuple[Contender, ...] = (
    Contender("floor", "floor (httpx)", "httpx", "floor", False, _floor(httpx), _floor_sync(httpx)),
    Contender("ours", "ours (httpx)", "httpx", "floor", True, _ours(httpx), _ours_sync(httpx)),
    Contender(
        "authlib",
        f"Authlib ({AUTHLIB_LIBRARY})",
        AUTHLIB_LIBRARY,
        "floor-httpx2" if AUTHLIB_LIBRARY == "httpx2" else "floor",
        True,
        _authlib,
        _authlib_sync,
    ),
    Contender(
        "httpx-auth", "httpx-auth (httpx)", "httpx", "floor", True, _httpx_auth, _httpx_auth_sync
    ),
    Contender(
        "floor-httpx2",
        "floor (httpx2)",
        "httpx2",
        "floor-httpx2",
        False,
        _floor(httpx2),
        _floor_sync(httpx2),
    ),
    Contender(
        "ours-httpx2",
        "ours (httpx2)",
        "httpx2",
        "floor-httpx2",
        True,
        _ours(httpx2),
        _ours_sync(httpx2),
    ),
)

BY_KEY = {contender.key: contender for contender in CONTENDERS}
MANAGERS = tuple(contender for contender in CONTENDERS if contender.manages_tokens)
