"""Token endpoint faults over real HTTP: retries, Retry-After, refusals, malformed answers.

Waits for a retry, a Retry-After or a cool-down pass in fake time shared by the provider and
the emulator (fake_time.py), so the delays are checked exactly; real time remains only where a
real socket times out.
"""

from __future__ import annotations

import asyncio
import socket

import httpx
import httpx2
import pytest
from auth_contract_support import (
    FAST_RETRY,
    LIMITS_PATH,
    ConstantRandom,
    gaps,
    make_auth,
    token_requests,
    wait_until,
)
from fake_time import FakeTime

from ozon_mcp.adapters.emulator import (
    EmulatorConfig,
    EmulatorHandle,
    ScriptedResponse,
    start_emulator,
)
from ozon_mcp.adapters.openapi.spec import LoadedSpec
from ozon_mcp.domain import (
    InvalidCredentialsError,
    MalformedTokenResponseError,
    RetryPolicy,
    TokenEndpointUnavailableError,
)

pytestmark = pytest.mark.anyio
SHARED_EMULATOR = True  # one emulator for the module, reset before each test
EXACT = 1e-6  # fake seconds add up exactly; the emulator logs epoch seconds (float64, ~1e-7)


async def test_503_twice_then_ok_succeeds_on_the_third_attempt_with_growing_delays(
    emulator: EmulatorHandle,
) -> None:
    emulator.control.script_token_responses([ScriptedResponse(status=503)] * 2)
    # The default schedule (0.5 s base, factor 2) with the jitter pinned near its ceiling.
    fake = FakeTime(emulator)
    auth = make_auth(emulator, rng=ConstantRandom(0.9), **fake.injected())
    async with httpx2.AsyncClient(base_url=emulator.base_url, auth=auth) as client:
        response = await fake.drive(client.get(LIMITS_PATH))
    await auth.aclose()
    assert response.status_code == 200
    attempts = token_requests(emulator)
    assert [entry.status for entry in attempts] == [503, 503, 200]
    first_gap, second_gap = gaps(attempts)
    assert first_gap == pytest.approx(0.45, abs=EXACT)  # 0.9 x 0.5 s
    assert second_gap == pytest.approx(0.9, abs=EXACT)  # 0.9 x 1.0 s
    assert second_gap > first_gap


async def test_429_with_retry_after_2_delays_the_next_attempt_by_at_least_2_s(
    emulator: EmulatorHandle,
) -> None:
    emulator.control.script_token_responses(
        [ScriptedResponse(status=429, headers={"Retry-After": "2"})]
    )
    fake = FakeTime(emulator)
    auth = make_auth(emulator, **fake.injected())
    async with httpx.AsyncClient(base_url=emulator.base_url, auth=auth) as client:
        response = await fake.drive(client.get(LIMITS_PATH))
    await auth.aclose()
    assert response.status_code == 200
    (gap,) = gaps(token_requests(emulator))
    # Exactly the 2 s asked for: Retry-After replaces the (shorter) backoff, adds no jitter.
    assert gap == pytest.approx(2.0, abs=EXACT)


def _unused_loopback_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_connection_refused_is_retried_until_the_endpoint_listens(
    ozon_spec: LoadedSpec, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="ozon_mcp.auth")
    port = _unused_loopback_port()
    token_url = f"http://127.0.0.1:{port}/api/client/token"
    fake = FakeTime()  # no emulator to link yet: it starts on that port later
    auth = make_auth(
        _Unstarted(token_url),  # type: ignore[arg-type]
        retry=RetryPolicy(base=0.2, cap=0.2, max_retries=8),
        rng=ConstantRandom(1.0),
        **fake.injected(),
    )
    task = asyncio.create_task(auth.provider.get_token())
    # Refused, the request waits for its retry: time stands still until the endpoint listens.
    assert await asyncio.to_thread(fake.next_wake_in) == pytest.approx(0.2, abs=EXACT)
    handle = start_emulator(EmulatorConfig(port=port), spec=ozon_spec)
    try:
        fake.advance(0.2)
        token = await asyncio.wait_for(task, timeout=10)
        assert token.fingerprint == token_requests(handle)[0].token_fingerprint
    finally:
        await auth.aclose()
        handle.stop()
    stats = auth.stats()
    assert stats is not None
    assert stats.failures == 1  # one refusal, then the retry found the endpoint listening
    assert stats.token_requests == stats.failures + 1
    assert "could not connect to the token endpoint" in _failure_messages(caplog)


async def test_a_timed_out_token_request_is_retried(
    emulator: EmulatorHandle, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="ozon_mcp.auth")
    # Real time on purpose: what is tested is a real socket's read timeout (0.3 s) against an
    # endpoint that stalls, which no fake clock can make happen.
    emulator.control.set_token_latency(1.0)
    auth = make_auth(emulator, read_timeout=0.3, retry=FAST_RETRY)
    task = asyncio.create_task(auth.provider.get_token())
    await asyncio.to_thread(wait_until, lambda: (auth.stats() or _NO_STATS).failures >= 1)
    emulator.control.set_token_latency(0)
    token = await asyncio.wait_for(task, timeout=10)
    await auth.aclose()
    assert token.fingerprint in {entry.token_fingerprint for entry in token_requests(emulator)}
    stats = auth.stats()
    assert stats is not None
    assert stats.failures >= 1  # the retry may leave before the latency is lifted
    assert stats.successes == 1
    assert "timed out waiting for the token endpoint" in _failure_messages(caplog)
    # The stalled answers still arrive (and are logged) up to 1 s later: wait for them here,
    # or they would land in the log of the next test on this shared emulator.
    await asyncio.to_thread(
        wait_until, lambda: emulator.control.token_requests == stats.token_requests, 5
    )


async def test_a_dropped_connection_is_retried(emulator: EmulatorHandle) -> None:
    emulator.control.script_token_responses([ScriptedResponse(drop_connection=True)])
    fake = FakeTime(emulator)
    auth = make_auth(emulator, retry=FAST_RETRY, rng=ConstantRandom(1.0), **fake.injected())
    async with httpx2.AsyncClient(base_url=emulator.base_url, auth=auth) as client:
        assert (await fake.drive(client.get(LIMITS_PATH))).status_code == 200
    await auth.aclose()
    assert [entry.status for entry in token_requests(emulator)] == [None, 200]
    assert gaps(token_requests(emulator)) == pytest.approx([FAST_RETRY.base], abs=EXACT)


async def test_invalid_client_fails_at_once_and_names_the_settings_to_fix(
    emulator: EmulatorHandle,
) -> None:
    auth = make_auth(emulator, client_secret="not-the-right-secret")
    async with httpx2.AsyncClient(base_url=emulator.base_url, auth=auth) as client:
        for _ in range(3):
            with pytest.raises(InvalidCredentialsError) as caught:
                await client.get(LIMITS_PATH)
            message = str(caught.value)
            # A library user is told the keyword arguments, not the server's variables.
            assert "check client_id= and client_secret=" in message
            assert "OAUTH_" not in message
            assert "invalid_client" in message
            assert "next attempt at " in message
    await auth.aclose()
    assert emulator.control.token_requests == 1  # no retries, and the cool-down answers
    assert emulator.control.api_calls == 0


def test_invalid_client_in_a_threaded_client_fails_the_same_way(emulator: EmulatorHandle) -> None:
    auth = make_auth(emulator, client_id="someone-else")
    with (
        httpx.Client(base_url=emulator.base_url, auth=auth) as client,
        pytest.raises(InvalidCredentialsError, match="client_id= and client_secret="),
    ):
        client.get(LIMITS_PATH)
    auth.close()
    assert emulator.control.token_requests == 1


@pytest.mark.parametrize(
    ("scripted", "fragment"),
    [
        (
            ScriptedResponse(body=b"<html><body>Sign in</body></html>", content_type="text/html"),
            "no JSON (text/html",
        ),
        (
            ScriptedResponse(json={"token": "abc", "expires_in": 1800}),
            "without a usable access_token",
        ),
    ],
    ids=["html", "json-without-access-token"],
)
async def test_a_malformed_answer_is_a_clear_error_then_the_client_recovers(
    emulator: EmulatorHandle, scripted: ScriptedResponse, fragment: str
) -> None:
    emulator.control.script_token_responses([scripted])
    fake = FakeTime(emulator)
    auth = make_auth(emulator, retry=FAST_RETRY, **fake.injected())
    async with httpx2.AsyncClient(base_url=emulator.base_url, auth=auth) as client:
        with pytest.raises(MalformedTokenResponseError) as caught:
            await client.get(LIMITS_PATH)
        assert fragment in str(caught.value)
        assert "check token_url= points at" in str(caught.value)
        fake.advance(FAST_RETRY.exhausted_cooldown)  # the cool-down, and not a moment more
        assert (await client.get(LIMITS_PATH)).status_code == 200
    await auth.aclose()
    assert [entry.status for entry in token_requests(emulator)] == [200, 200]
    (gap,) = gaps(token_requests(emulator))
    assert gap == pytest.approx(FAST_RETRY.exhausted_cooldown, abs=EXACT)


async def test_a_redirect_is_not_followed_so_the_credentials_go_nowhere_else(
    emulator: EmulatorHandle,
) -> None:
    elsewhere = emulator.base_url + "/elsewhere/token"
    emulator.control.script_token_responses(
        [ScriptedResponse(status=307, headers={"Location": elsewhere})]
    )
    auth = make_auth(emulator, retry=FAST_RETRY)
    async with httpx2.AsyncClient(base_url=emulator.base_url, auth=auth) as client:
        with pytest.raises(MalformedTokenResponseError, match="redirect"):
            await client.get(LIMITS_PATH)
    await auth.aclose()
    assert [entry.path for entry in emulator.control.requests] == ["/api/client/token"]


async def test_a_spent_cycle_of_transient_failures_reports_every_attempt(
    emulator: EmulatorHandle,
) -> None:
    emulator.control.script_token_responses([ScriptedResponse(status=502)] * 4)
    fake = FakeTime(emulator)
    auth = make_auth(emulator, retry=FAST_RETRY, rng=ConstantRandom(1.0), **fake.injected())
    with pytest.raises(TokenEndpointUnavailableError, match="after 4 attempt"):
        await fake.drive(auth.provider.get_token())
    await auth.aclose()
    assert emulator.control.token_requests == 4
    # The backoff between them: 0.05 s doubling, capped at 0.2 s (jitter at its ceiling).
    assert gaps(token_requests(emulator)) == pytest.approx([0.05, 0.1, 0.2], abs=EXACT)


class _Unstarted:
    """Stands in for an emulator handle before the emulator listens (only what make_auth reads)."""

    def __init__(self, token_url: str) -> None:
        self.token_url = token_url
        self.config = EmulatorConfig()


class _NoStats:
    failures = 0


_NO_STATS = _NoStats()


def _failure_messages(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(
        record.getMessage()
        for record in caplog.records
        if getattr(record, "auth_event", None) == "token_request_failed"
    )
