"""The in-memory TokenCache adapter."""

from __future__ import annotations

import pytest
from auth_support import token_value

from ozon_mcp.adapters.auth import InMemoryTokenCache
from ozon_mcp.domain import AccessToken, CacheKey, ScopeSet

pytestmark = pytest.mark.anyio

KEY = CacheKey("https://auth.example.com/token", "client")
OTHER_SCOPES = CacheKey("https://auth.example.com/token", "client", ScopeSet.parse("admin"))


async def test_a_stored_token_is_loaded_per_key() -> None:
    cache = InMemoryTokenCache()
    assert await cache.load(KEY) is None
    first = _token_of("first")
    await cache.store(KEY, first)
    assert await cache.load(KEY) is first
    assert await cache.load(OTHER_SCOPES) is None
    assert cache.size == 1


async def test_discard_only_forgets_the_named_token() -> None:
    cache = InMemoryTokenCache()
    old, new = _token_of("old"), _token_of("new")
    await cache.store(KEY, new)
    await cache.discard(KEY, old.fingerprint)
    assert await cache.load(KEY) is new
    await cache.discard(KEY, new.fingerprint)
    assert await cache.load(KEY) is None
    await cache.discard(KEY, new.fingerprint)  # nothing left: no error


async def test_an_empty_cache_is_still_truthy_and_never_shows_tokens() -> None:
    cache = InMemoryTokenCache()
    assert cache
    await cache.store(KEY, _token_of("raw-token-value"))
    assert "raw-token-value" not in repr(cache)


def _token_of(raw: str) -> AccessToken:
    return token_value(raw, lifetime=60, refresh_after=30)
