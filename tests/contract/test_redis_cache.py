"""The Redis token cache over a real redis-server: encryption at rest, wrong keys, outages,
threaded and asyncio clients sharing one token."""

from __future__ import annotations

import asyncio
import logging
import random
from concurrent.futures import ThreadPoolExecutor

import httpx2
import pytest
from auth_contract_support import make_auth
from redis_support import (
    CACHE_KEY,
    RedisServer,
    Replica,
    credentials,
    make_replica,
    redis_server,
)

from ozon_mcp.adapters.auth import HttpTokenEndpoint, SyncTokenProvider, TokenEndpointConfig
from ozon_mcp.adapters.auth.httpx_auth import ClientCredentialsAuth
from ozon_mcp.adapters.emulator import EmulatorHandle
from ozon_mcp.adapters.sharing import SharedTokenEndpoint, build_redis_sharing
from ozon_mcp.domain.clock import SystemClock
from ozon_mcp.domain.errors import ConfigurationError
from ozon_mcp.domain.lifecycle import TokenLifecycle
from ozon_mcp.domain.ports import CacheKey, ScopeSet
from ozon_mcp.domain.token import AccessToken

__all__ = ["redis_server"]  # the fixture, imported for pytest

LIMITS_PATH = "/api/client/limits/list"


def _everything_in(server: RedisServer) -> list[bytes]:
    """Every key name and every stored value in the Redis database."""
    client = server.client()
    found: list[bytes] = []
    for name in client.keys("*"):
        found.append(name)
        if client.type(name) == b"hash":
            for field, value in client.hgetall(name).items():
                found.extend([field, value])
        else:
            found.append(client.get(name) or b"")
    return found


@pytest.mark.anyio
async def test_the_stored_entry_holds_neither_the_token_nor_the_client_id(
    emulator: EmulatorHandle, redis_server: RedisServer
) -> None:
    replica = make_replica(credentials(emulator), redis_server.url)
    token = await replica.provider.get_token()
    await replica.aclose()

    stored = _everything_in(redis_server)
    assert stored, "the token was not shared"
    for blob in stored:
        assert token.value.encode() not in blob
        assert emulator.config.client_id.encode() not in blob
        assert emulator.config.secret_value.encode() not in blob
    ttl = redis_server.client().pttl(redis_server.client().keys("ozon-mcp:token:*")[0])
    assert 1_790_000 < ttl <= 1_800_000  # expires with the token (emulator: 1800 s)


@pytest.mark.anyio
async def test_plaintext_needs_explicit_consent_and_then_stores_the_token_readably(
    emulator: EmulatorHandle, redis_server: RedisServer
) -> None:
    with pytest.raises(ConfigurationError, match="TOKEN_CACHE_ALLOW_PLAINTEXT"):
        make_replica(credentials(emulator), redis_server.url, key=None)
    replica = make_replica(credentials(emulator), redis_server.url, key=None, allow_plaintext=True)
    token = await replica.provider.get_token()
    await replica.aclose()
    # The check above is meaningful: in plaintext mode the same scan does find the token.
    assert any(token.value.encode() in blob for blob in _everything_in(redis_server))


@pytest.mark.anyio
async def test_a_wrong_token_cache_key_is_a_clear_error_and_never_clobbers_the_shared_token(
    emulator: EmulatorHandle, redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    with pytest.raises(ConfigurationError, match="TOKEN_CACHE_KEY must be at least 32"):
        make_replica(credentials(emulator), redis_server.url, key="too-short")

    right = make_replica(credentials(emulator), redis_server.url)
    shared = await right.provider.get_token()
    wrong = make_replica(credentials(emulator), redis_server.url, key=CACHE_KEY + "-other")
    with caplog.at_level(logging.ERROR, logger="ozon_mcp.sharing"):
        own = await wrong.provider.get_token()  # still served: it fetches its own token
    assert own.fingerprint != shared.fingerprint
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert any("different TOKEN_CACHE_KEY" in message for message in errors), errors
    assert len(errors) == len(set(errors))  # each problem said once

    # The shared entry is still the right one, and readable by the right replicas.
    late = make_replica(credentials(emulator), redis_server.url)
    assert (await late.provider.get_token()).fingerprint == shared.fingerprint
    assert emulator.control.token_requests == 2
    for replica in (right, wrong, late):
        await replica.aclose()


@pytest.mark.anyio
async def test_redis_stopped_or_hung_mid_run_calls_keep_succeeding_then_sharing_resumes(
    emulator: EmulatorHandle, redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="ozon_mcp.sharing")
    a, b, c = (
        make_replica(credentials(emulator), redis_server.url, timeout=0.5, retry_after=0.3)
        for _ in range(3)
    )
    loop = asyncio.get_running_loop()

    async def renew(replica: Replica) -> AccessToken:
        """What a 401 makes a replica do: drop its token, get a new one; never slow or failing."""
        current = replica.provider.lifecycle.current_token()
        if current is not None:
            await replica.provider.invalidate(current)
        started = loop.time()
        token = await replica.provider.get_token()
        assert loop.time() - started < 3  # bounded by the Redis timeouts, never a hang
        async with httpx2.AsyncClient(base_url=emulator.base_url) as client:
            response = await client.get(
                LIMITS_PATH, headers={"Authorization": f"Bearer {token.value}"}
            )
        assert response.status_code == 200
        # As the bearer flow does after a successful retry: the rejection is over, so the next
        # 401 is a new one, not the persistent-401 back-off.
        await replica.provider.accepted(token)
        return token

    shared = await renew(a)
    assert (await renew(b)).fingerprint == shared.fingerprint
    assert emulator.control.token_requests == 1

    redis_server.pause()  # accepts connections, never answers: every call times out
    await renew(a)
    await renew(c)
    assert emulator.control.token_requests == 3  # each fell back to a token of its own
    redis_server.stop()  # now refused at once
    await asyncio.sleep(0.35)  # past retry_after: a tries Redis again and fails again
    await renew(a)
    assert emulator.control.token_requests == 4
    warnings = [r.getMessage() for r in caplog.records if "Redis is unavailable" in r.getMessage()]
    assert len(warnings) == 2  # one per process that met the outage (a and c), not per call

    redis_server.start()  # a fresh, empty Redis on the same port
    await asyncio.sleep(0.35)  # past retry_after
    fresh = await renew(a)
    assert emulator.control.token_requests == 5
    assert any("Redis is back" in r.getMessage() for r in caplog.records)
    assert (await renew(b)).fingerprint == fresh.fingerprint  # shared again
    assert (await renew(c)).fingerprint == fresh.fingerprint
    assert emulator.control.token_requests == 5
    for replica in (a, b, c):
        await replica.aclose()


def test_a_threaded_client_and_an_async_client_share_one_token(
    emulator: EmulatorHandle, redis_server: RedisServer
) -> None:
    async_replica = make_replica(credentials(emulator), redis_server.url)

    async def async_side() -> str:
        token = await async_replica.provider.get_token()
        await async_replica.aclose()
        return token.fingerprint

    async_fingerprint = asyncio.run(async_side())

    client = credentials(emulator)
    config = TokenEndpointConfig(**client)
    clock = SystemClock()
    sharing = build_redis_sharing(redis_server.url, key=CACHE_KEY, clock=clock)
    endpoint = SharedTokenEndpoint(
        HttpTokenEndpoint(config, clock=clock),
        sharing.store,
        token_url=config.token_url,
        client_id=config.client_id,
    )
    provider = SyncTokenProvider(
        endpoint, TokenLifecycle(clock, random.Random()), sharing.cache, config.cache_key, clock,
        proactive_refresh=False,
    )  # fmt: skip
    with ThreadPoolExecutor(8) as pool:
        fingerprints = set(pool.map(lambda _: provider.get_token().fingerprint, range(32)))
    provider.close()
    sharing.store.close()

    assert fingerprints == {async_fingerprint}
    assert emulator.control.token_requests == 1
    # And the sync side of the cache port reads the same token.
    assert sharing.cache.load_sync(config.cache_key).fingerprint == async_fingerprint  # type: ignore[union-attr]


@pytest.mark.anyio
async def test_client_credentials_auth_with_the_redis_cache_adopts_another_process_token(
    emulator: EmulatorHandle, redis_server: RedisServer
) -> None:
    def auth() -> ClientCredentialsAuth:
        # One store per Auth, as in two processes; proactive refresh on (the default): a cold
        # provider reads the cache before its refresher may fetch.
        sharing = build_redis_sharing(redis_server.url, key=CACHE_KEY)
        return make_auth(emulator, cache=sharing.cache)

    first, second = auth(), auth()
    async with httpx2.AsyncClient(base_url=emulator.base_url, auth=first) as client:
        assert (await client.get(LIMITS_PATH)).status_code == 200
    async with httpx2.AsyncClient(base_url=emulator.base_url, auth=second) as client:
        assert (await client.get(LIMITS_PATH)).status_code == 200
    await first.aclose()
    await second.aclose()
    assert emulator.control.token_requests == 1  # the second adopted the first one's token
    fingerprints = {
        call.token_fingerprint for call in emulator.control.requests if call.kind == "api"
    }
    assert len(fingerprints) == 1


@pytest.mark.anyio
async def test_a_revoked_shared_token_is_replaced_once_for_every_replica(
    emulator: EmulatorHandle, redis_server: RedisServer
) -> None:
    replicas = [make_replica(credentials(emulator), redis_server.url) for _ in range(3)]
    tokens = [await replica.provider.get_token() for replica in replicas]
    assert len({token.fingerprint for token in tokens}) == 1
    emulator.control.revoke_all_tokens()

    async def call_with_recovery(replica: Replica) -> str:
        """What the bearer flow does: a 401 drops the token, the call is retried once."""
        async with httpx2.AsyncClient(base_url=emulator.base_url) as client:
            token = await replica.provider.get_token()
            headers = {"Authorization": f"Bearer {token.value}"}
            if (await client.get(LIMITS_PATH, headers=headers)).status_code == 401:
                await replica.provider.invalidate(token)
                token = await replica.provider.get_token()
                headers = {"Authorization": f"Bearer {token.value}"}
            assert (await client.get(LIMITS_PATH, headers=headers)).status_code == 200
            return token.fingerprint

    renewed = await asyncio.gather(*(call_with_recovery(replica) for replica in replicas))
    assert len(set(renewed)) == 1
    assert emulator.control.token_requests == 2  # one new token for the three replicas
    for replica in replicas:
        await replica.aclose()


def test_the_sync_cache_port_stores_keeps_the_later_token_and_compares_before_deleting(
    redis_server: RedisServer,
) -> None:
    clock = SystemClock()
    cache = build_redis_sharing(redis_server.url, key=CACHE_KEY, clock=clock).cache
    other = build_redis_sharing(redis_server.url, key=CACHE_KEY, clock=clock).cache
    key = CacheKey("https://idp.example/token", "client", ScopeSet.parse("read"))

    def token(raw: str, lifetime: float) -> AccessToken:
        return AccessToken.create(
            raw,
            token_type="Bearer",
            obtained_at=clock.monotonic(),
            lifetime=lifetime,
            refresh_after=lifetime - 60,
            issued_wall=clock.now(),
        )

    newer, older = token("newer-token", 1800), token("older-token", 600)
    cache.store_sync(key, newer)
    other.store_sync(key, older)  # a late writer with an earlier-expiring token
    loaded = other.load_sync(key)
    assert loaded is not None
    assert loaded.fingerprint == newer.fingerprint  # the later token was kept
    assert loaded.expires_at == pytest.approx(newer.expires_at, abs=0.05)
    assert loaded.refresh_at == pytest.approx(newer.refresh_at, abs=0.05)

    other.discard_sync(key, older.fingerprint)  # not the stored one: nothing happens
    assert cache.load_sync(key) is not None
    other.discard_sync(key, newer.fingerprint)
    assert cache.load_sync(key) is None  # gone for every process
    assert other.load_sync(key) is None  # and no stale local copy comes back
    # Another scope set is another token.
    assert cache.load_sync(CacheKey(key.token_url, key.client_id, ScopeSet())) is None
