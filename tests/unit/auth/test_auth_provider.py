"""The asyncio TokenProvider acts on the lifecycle's decisions (fake endpoint, fake time)."""

from __future__ import annotations

import asyncio
import threading

import pytest
from auth_support import (
    KEY,
    ManualTime,
    ScriptedEndpoint,
    async_provider,
    grant,
    instant_sleep,
    refused,
    spin,
    unavailable,
)
from fake_clock import FakeClock

from ozon_mcp.adapters.auth import InMemoryTokenCache, ProviderClosedError
from ozon_mcp.domain import (
    InvalidCredentialsError,
    RetryPolicy,
    TokenEndpointUnavailableError,
)

pytestmark = pytest.mark.anyio


async def test_concurrent_callers_share_one_token_request() -> None:
    clock = FakeClock()
    endpoint = ScriptedEndpoint()
    endpoint.async_gate = asyncio.Event()
    provider = async_provider(endpoint, clock)
    callers = [asyncio.create_task(provider.get_token()) for _ in range(50)]
    await spin()
    assert endpoint.calls == 1
    endpoint.async_gate.set()
    tokens = await asyncio.gather(*callers)
    assert {token.value for token in tokens} == {"token-1"}
    assert endpoint.calls == 1
    stats = provider.stats()
    assert (stats.token_requests, stats.successes, stats.waits, stats.cache_hits) == (1, 1, 50, 0)
    assert (await provider.get_token()).value == "token-1"
    assert provider.stats().cache_hits == 1


async def test_a_cancelled_caller_does_not_cancel_the_shared_request() -> None:
    clock = FakeClock()
    endpoint = ScriptedEndpoint()
    endpoint.async_gate = asyncio.Event()
    provider = async_provider(endpoint, clock)
    impatient = asyncio.create_task(provider.get_token())
    patient = asyncio.create_task(provider.get_token())
    await spin()
    impatient.cancel()
    with pytest.raises(asyncio.CancelledError):
        await impatient
    endpoint.async_gate.set()
    assert (await patient).value == "token-1"
    assert (endpoint.calls, endpoint.completed) == (1, 1)


async def test_transient_failures_are_retried_after_the_delays_the_lifecycle_names() -> None:
    clock = FakeClock()
    slept: list[float] = []
    endpoint = ScriptedEndpoint([unavailable(), unavailable(retry_after=2.0)])
    provider = async_provider(endpoint, clock, sleep=instant_sleep(clock, slept))
    token = await provider.get_token()
    assert token.value == "token-3"
    assert endpoint.calls == 3
    policy = RetryPolicy()
    assert len(slept) == 2
    assert 0 <= slept[0] <= policy.ceiling(1)
    assert slept[1] >= 2.0  # the Retry-After of the second failure
    assert provider.stats().failures == 2


async def test_a_permanent_failure_fails_every_caller_at_once_with_its_own_error() -> None:
    clock = FakeClock()
    endpoint = ScriptedEndpoint([refused()])
    provider = async_provider(endpoint, clock)
    errors = []
    for _ in range(3):
        with pytest.raises(InvalidCredentialsError) as caught:
            await provider.get_token()
        errors.append(caught.value)
    assert endpoint.calls == 1
    assert "client_id" in str(errors[0])
    assert errors[0] is not errors[1]
    # The first caller hears when the next attempt is; the others that it is remembered.
    assert "next attempt at 00:00:30 UTC" in str(errors[0])
    assert "remembered" not in str(errors[0])
    assert str(errors[1]) == str(errors[2])
    assert "; remembered for 30 s, next attempt at 00:00:30 UTC" in str(errors[1])
    assert provider.stats().state == "failed"


async def test_an_endpoint_that_raises_counts_as_a_transient_failure() -> None:
    clock = FakeClock()
    endpoint = ScriptedEndpoint([RuntimeError("bug"), RuntimeError("bug")])
    provider = async_provider(endpoint, clock, retry=RetryPolicy(max_retries=1))
    with pytest.raises(TokenEndpointUnavailableError, match=r"unexpectedly \(RuntimeError\)"):
        await provider.get_token()
    assert endpoint.calls == 2


async def test_invalidating_the_current_token_leads_to_one_new_request() -> None:
    clock = FakeClock()
    endpoint = ScriptedEndpoint()
    provider = async_provider(endpoint, clock)
    first = await provider.get_token()
    assert await provider.invalidate(first) is True
    assert await provider.invalidate(first) is False
    assert await provider.invalidate(first.fingerprint) is False
    second = await provider.get_token()
    assert second.value == "token-2"
    await provider.accepted(second)  # the API took the replacement: 401s are over
    assert await provider.invalidate("token-2") is True  # the raw value works too
    assert await provider.invalidate("token-1") is False
    stats = provider.stats()
    assert (stats.invalidations, stats.ignored_invalidations) == (2, 3)
    assert endpoint.calls == 2


async def test_a_rejected_replacement_backs_off_instead_of_a_request_per_call() -> None:
    clock = FakeClock()
    endpoint = ScriptedEndpoint()
    provider = async_provider(endpoint, clock, retry=RetryPolicy(rejection_base=5.0))
    first = await provider.get_token()
    assert await provider.invalidate(first) is True
    second = await provider.get_token()
    assert await provider.invalidate(second) is False  # the replacement was refused too: kept
    for _ in range(20):  # every later call gets the kept token: no token request per call
        assert await provider.invalidate(await provider.get_token()) is False
    assert endpoint.calls == 2
    clock.advance(5.0)
    assert await provider.invalidate(second) is True  # the pause is over: one more try
    third = await provider.get_token()
    assert await provider.invalidate(third) is False
    assert provider.lifecycle.rejections == 2
    assert provider.lifecycle.rejected_until == clock.monotonic() + 10.0  # 5 s, then 10 s
    assert endpoint.calls == 3


async def test_a_due_refresh_runs_in_the_background_while_the_old_token_is_served() -> None:
    clock = FakeClock()
    endpoint = ScriptedEndpoint()
    provider = async_provider(endpoint, clock)
    first = await provider.get_token()
    clock.advance(first.refresh_at - clock.monotonic() + 1)
    endpoint.async_gate = asyncio.Event()
    assert (await provider.get_token()).value == "token-1"  # not waiting for the refresh
    await spin()
    assert endpoint.calls == 2
    endpoint.async_gate.set()
    await spin()
    assert (await provider.get_token()).value == "token-2"
    assert provider.stats().refreshes == 1


async def test_the_refresher_renews_the_token_at_its_refresh_time() -> None:
    clock = FakeClock()
    endpoint = ScriptedEndpoint()
    time = ManualTime(clock)
    provider = async_provider(endpoint, clock, proactive=True, sleep=time.sleep)
    await provider.start()
    waited = await time.pass_next_sleep()
    assert endpoint.calls == 1
    assert waited == pytest.approx(540.0)  # 600 s lifetime, 60 s margin
    await time.pass_next_sleep()  # the refresher renewed, then waits for the next one
    assert endpoint.calls == 2
    assert provider.stats().refreshes == 1
    assert provider.stats().fingerprint is not None
    await provider.aclose()


async def test_aclose_cancels_background_work_and_closes_the_provider() -> None:
    clock = FakeClock()
    endpoint = ScriptedEndpoint()
    endpoint.async_gate = asyncio.Event()
    provider = async_provider(endpoint, clock, proactive=True)
    await provider.start()
    await spin()
    assert endpoint.calls == 1
    await provider.aclose()
    ours = [task for task in asyncio.all_tasks() if task.get_name().startswith("ozon-mcp")]
    assert ours == []
    assert provider.closed
    with pytest.raises(ProviderClosedError):
        await provider.get_token()
    assert provider.lifecycle.in_flight is None  # the cancelled request was abandoned
    await provider.aclose()  # idempotent


def test_a_request_orphaned_by_a_finished_event_loop_does_not_block_the_next_loop() -> None:
    clock = FakeClock()
    endpoint = ScriptedEndpoint()
    endpoint.async_gate = asyncio.Event()
    provider = async_provider(endpoint, clock)

    async def start_and_leave() -> None:
        asyncio.get_running_loop().create_task(provider.get_token())
        await spin()
        assert endpoint.calls == 1

    asyncio.run(start_and_leave())  # asyncio.run cancels the pending request at its end
    endpoint.async_gate = None

    async def use_again() -> str:
        return (await provider.get_token()).value

    assert asyncio.run(use_again()) == "token-2"
    assert provider.stats().failures == 0


async def test_a_token_in_a_shared_cache_is_adopted_instead_of_requested() -> None:
    clock = FakeClock()
    cache = InMemoryTokenCache()
    first_endpoint, second_endpoint = ScriptedEndpoint(), ScriptedEndpoint()
    first = async_provider(first_endpoint, clock, cache=cache)
    second = async_provider(second_endpoint, clock, cache=cache)
    token = await first.get_token()
    assert (await second.get_token()).value == token.value
    assert second_endpoint.calls == 0
    await second.invalidate(token)
    assert await cache.load(KEY) is None
    assert (await second.get_token()).value == "token-1"  # its own request
    assert second_endpoint.calls == 1


class BrokenCache:
    """A cache whose every operation fails (a shared cache that is down)."""

    async def load(self, key: object) -> None:
        raise ConnectionError("cache down")

    async def store(self, key: object, token: object) -> None:
        raise ConnectionError("cache down")

    async def discard(self, key: object, fingerprint: str) -> None:
        raise ConnectionError("cache down")


async def test_a_failing_cache_does_not_stop_tokens_from_flowing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = FakeClock()
    endpoint = ScriptedEndpoint()
    provider = async_provider(endpoint, clock, cache=BrokenCache())  # type: ignore[arg-type]
    token = await provider.get_token()
    await provider.invalidate(token)
    assert (await provider.get_token()).value == "token-2"
    events = [getattr(record, "auth_event", None) for record in caplog.records]
    assert events.count("cache_error") >= 3


async def test_stats_never_contain_the_token() -> None:
    clock = FakeClock()
    provider = async_provider(ScriptedEndpoint([grant("very-secret-token-value")]), clock)
    await provider.get_token()
    stats = provider.stats()
    assert "very-secret-token-value" not in repr(stats)
    assert "very-secret-token-value" not in str(stats.as_dict())
    assert stats.seconds_to_expiry == pytest.approx(600.0)


def test_use_from_two_running_event_loops_at_once_is_refused() -> None:
    clock = FakeClock()
    provider = async_provider(ScriptedEndpoint(), clock)
    holding, release = threading.Event(), threading.Event()

    def other_thread() -> None:
        async def hold() -> None:
            await provider.get_token()
            holding.set()
            await asyncio.to_thread(release.wait, 10)

        asyncio.run(hold())

    thread = threading.Thread(target=other_thread)
    thread.start()
    try:
        assert holding.wait(10)
        with pytest.raises(RuntimeError, match="another running event loop"):
            asyncio.run(provider.get_token())
    finally:
        release.set()
        thread.join(10)


def test_background_work_left_on_a_paused_loop_is_cancelled_when_another_loop_takes_over() -> None:
    clock = FakeClock()
    endpoint = ScriptedEndpoint()
    provider = async_provider(endpoint, clock, proactive=True, sleep=ManualTime(clock).sleep)
    first_loop = asyncio.new_event_loop()
    try:
        first_loop.run_until_complete(provider.get_token())  # the refresher now waits there
        assert asyncio.run(provider.get_token()).value == "token-1"
        leftovers = asyncio.all_tasks(first_loop)
        first_loop.run_until_complete(asyncio.gather(*leftovers, return_exceptions=True))
        assert all(task.cancelled() for task in leftovers)
    finally:
        first_loop.close()
    assert endpoint.calls == 1


async def test_token_in_hand_answers_without_waiting_and_never_fetches() -> None:
    """The drivers' hot path: a token in hand without awaiting, None when one must be fetched
    (then `get_token` fetches it)."""
    clock = FakeClock()
    endpoint = ScriptedEndpoint()
    provider = async_provider(endpoint, clock)
    assert provider.token_in_hand() is None
    assert endpoint.calls == 0  # asking does not fetch
    fetched = await provider.get_token()
    in_hand = provider.token_in_hand()
    assert in_hand is not None
    assert in_hand.value == fetched.value
    assert provider.stats().cache_hits == 1
    await provider.aclose()
    with pytest.raises(ProviderClosedError):
        provider.token_in_hand()
