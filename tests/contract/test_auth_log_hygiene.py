"""At DEBUG, across the token scenarios: every lifecycle event is logged, and neither the client
secret nor any issued token appears in any log record or exception text (generated secrets too).

The scenario's waits (a retry, a background refresh) pass in fake time shared by the provider
and the emulator (fake_time.py).
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Iterator

import httpx
import httpx2
import pytest
from auth_contract_support import FAST_RETRY, LIMITS_PATH, make_auth
from fake_time import FakeTime
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from ozon_mcp import ClientCredentialsAuth
from ozon_mcp.adapters.emulator import (
    EmulatorConfig,
    EmulatorHandle,
    ScriptedResponse,
    start_emulator,
)
from ozon_mcp.adapters.openapi.spec import LoadedSpec, load_spec
from ozon_mcp.domain import OzonMcpError

SHARED_EMULATOR = True  # for `emulator`; the generated-secret test needs one per secret

LIFECYCLE_EVENTS = {
    "token_requested",
    "token_acquired",
    "token_refreshed",
    "refresh_scheduled",
    "token_request_failed",
    "token_permanent_failure",
    "token_invalidated",
    "lifetime_warning",
}


class Collector(logging.Handler):
    """Keeps every record of every logger, rendered the ways a log pipeline could render it."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self.renderer = logging.Formatter("%(levelname)s %(name)s %(message)s")

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def texts(self) -> Iterator[str]:
        for record in self.records:
            yield self.renderer.format(record)  # message, plus traceback text if any
            yield repr(record.__dict__)  # every structured field

    def events(self) -> set[str]:
        return {getattr(record, "auth_event", "") for record in self.records} - {""}


@pytest.fixture
def collector() -> Iterator[Collector]:
    root = logging.getLogger()
    handler = Collector()
    previous = root.level
    root.setLevel(logging.DEBUG)
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)


def _assert_nothing_leaked(
    collector: Collector, errors: list[BaseException], secrets: list[str], tokens: list[str]
) -> None:
    assert tokens, "the scenario should have issued tokens"
    texts = [*collector.texts(), *(f"{e!s} {e!r} {e.args!r}" for e in errors)]
    for text in texts:
        for secret in secrets:
            assert secret not in text
        for token in tokens:
            assert token not in text


async def _full_scenario(emulator: EmulatorHandle, errors: list[BaseException]) -> None:
    control = emulator.control
    fake = FakeTime(emulator)
    auth = make_auth(emulator, retry=FAST_RETRY, **fake.injected())
    async with httpx2.AsyncClient(base_url=emulator.base_url, auth=auth) as client:
        assert (await client.get(LIMITS_PATH)).status_code == 200  # requested, acquired
        # A 401 (invalidated), a failed attempt, then a token without expires_in (warning).
        control.revoke_all_tokens()
        control.script_token_responses(
            [
                ScriptedResponse(status=503, body=b"busy"),
                ScriptedResponse(json={"token_type": "Bearer"}, mint_access_token=True),
            ]
        )
        assert (await fake.drive(client.get(LIMITS_PATH))).status_code == 200  # past a retry
        # A short-lived token is refreshed in the background (scheduled, refreshed).
        control.set_expires_in(2)
        control.revoke_all_tokens()
        assert (await client.get(LIMITS_PATH)).status_code == 200
        # The refresher now sleeps until exactly half of the 2 s lifetime.
        due = await asyncio.to_thread(fake.next_wake_in, 10.0, 2.0)
        assert due == 1.0
        refreshes = _refreshes(auth)
        fake.advance(due)
        await fake.until_asleep()  # the refresher is done and waits for the next one
        assert _refreshes(auth) == refreshes + 1
        assert (await client.get(LIMITS_PATH)).status_code == 200
        # Malformed answers end in a clear error.
        control.revoke_all_tokens()
        control.script_token_responses([ScriptedResponse(json={"no": "token"})])
        with pytest.raises(OzonMcpError) as malformed:
            await client.get(LIMITS_PATH)
        errors.append(malformed.value)
    await auth.aclose()
    # Wrong credentials: a permanent failure, from a threaded client this time.
    wrong = make_auth(emulator, client_secret=emulator.config.secret_value + "-wrong")

    def threaded_call() -> OzonMcpError:
        with (
            httpx.Client(base_url=emulator.base_url, auth=wrong) as sync_client,
            pytest.raises(OzonMcpError) as refused,
        ):
            sync_client.get(LIMITS_PATH)
        return refused.value

    # A blocking client belongs in a thread, not on the event loop.
    errors.append(await asyncio.to_thread(threaded_call))
    wrong.close()


@pytest.mark.anyio
async def test_every_lifecycle_event_is_logged_and_no_secret_or_token_ever_is(
    emulator: EmulatorHandle, collector: Collector
) -> None:
    errors: list[BaseException] = []
    await _full_scenario(emulator, errors)
    assert collector.events() >= LIFECYCLE_EVENTS
    secret = emulator.config.secret_value
    _assert_nothing_leaked(
        collector, errors, [secret, secret + "-wrong"], emulator.control.issued_tokens()
    )


def _refreshes(auth: ClientCredentialsAuth) -> int:
    stats = auth.stats()
    return stats.refreshes if stats is not None else 0


@functools.cache
def _spec() -> LoadedSpec:
    return load_spec()


generated_secrets = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=16, max_size=48
).filter(lambda s: len(set(s)) >= 4 and s.strip() == s)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    secret=generated_secrets,
    wrong_secret=generated_secrets,
    request_format=st.sampled_from(["json", "form"]),
    client_auth=st.sampled_from(["post", "basic"]),
)
def test_generated_secrets_never_reach_logs_or_errors(
    collector: Collector,
    secret: str,
    wrong_secret: str,
    request_format: str,
    client_auth: str,
) -> None:
    assume(secret not in wrong_secret and wrong_secret not in secret)
    collector.records.clear()
    # An emulator per example: the secret is part of its configuration, fixed at start.
    handle = start_emulator(EmulatorConfig(client_secret=secret, generic=True), spec=_spec())
    errors: list[BaseException] = []
    try:
        options = {"request_format": request_format, "client_auth": client_auth}
        good = make_auth(handle, retry=FAST_RETRY, **options)
        bad = make_auth(handle, client_secret=wrong_secret, **options)
        handle.control.script_token_responses(
            [
                ScriptedResponse(
                    status=400, json={"error": "invalid_request", "error_description": secret}
                )
            ]
        )
        with httpx2.Client(base_url=handle.base_url, auth=good) as client:
            with pytest.raises(OzonMcpError) as echoed:
                client.get(LIMITS_PATH)
            errors.append(echoed.value)
        good.close()
        good = make_auth(handle, retry=FAST_RETRY, **options)
        with httpx2.Client(base_url=handle.base_url, auth=good) as client:
            assert client.get(LIMITS_PATH).status_code == 200
            handle.control.revoke_all_tokens()
            assert client.get(LIMITS_PATH).status_code == 200
        good.close()
        with httpx2.Client(base_url=handle.base_url, auth=bad) as client:
            with pytest.raises(OzonMcpError) as refused:
                client.get(LIMITS_PATH)
            errors.append(refused.value)
        bad.close()
        tokens = handle.control.issued_tokens()
    finally:
        handle.stop()
    assert len(tokens) == 2
    _assert_nothing_leaked(collector, errors, [secret, wrong_secret], tokens)
