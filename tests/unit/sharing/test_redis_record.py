"""Wall-clock records of shared tokens and their conversion to each process's monotonic clock."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from fake_clock import FakeClock
from hypothesis import given
from hypothesis import strategies as st

from ozon_mcp.adapters.sharing import SharedToken
from ozon_mcp.adapters.sharing.record import MalformedSharedToken
from ozon_mcp.domain.token import AccessToken


def _token(
    clock: FakeClock, lifetime: float = 1800.0, refresh_after: float = 1740.0
) -> AccessToken:
    return AccessToken.create(
        "raw-token-value",
        token_type="Bearer",
        obtained_at=clock.monotonic(),
        lifetime=lifetime,
        refresh_after=refresh_after,
        issued_wall=clock.now(),
    )


def test_a_token_keeps_its_deadlines_across_processes_with_different_monotonic_clocks() -> None:
    writer = FakeClock(monotonic_seconds=5_000.0)
    token = _token(writer)
    writer.advance(100)
    shared = SharedToken.from_access_token(token, writer)
    assert shared.expires_wall == datetime(2026, 1, 1, tzinfo=UTC).timestamp() + 1800

    # Another process: same wall time, a monotonic clock that started elsewhere.
    reader = FakeClock(monotonic_seconds=42.0, wall=writer.now())
    loaded = shared.to_access_token(reader)
    assert loaded.expires_at == pytest.approx(42.0 + 1700)
    assert loaded.refresh_at == pytest.approx(42.0 + 1640)
    assert loaded.obtained_at == pytest.approx(42.0 - 100)
    assert loaded.fingerprint == token.fingerprint
    assert loaded.value == token.value
    assert loaded.lifetime == token.lifetime
    assert loaded.issued_wall == token.issued_wall


def test_a_token_loaded_after_its_wall_expiry_is_already_expired() -> None:
    clock = FakeClock()
    shared = SharedToken.from_access_token(_token(clock, lifetime=60, refresh_after=30), clock)
    clock.advance(61)
    loaded = shared.to_access_token(clock)
    assert loaded.is_expired(clock.monotonic())
    assert shared.remaining(clock) == pytest.approx(-1)


@given(
    lifetime=st.floats(min_value=1, max_value=86_400),
    share=st.floats(min_value=0.01, max_value=1),
    elapsed=st.floats(min_value=0, max_value=86_400),
    reader_monotonic=st.floats(min_value=0, max_value=1e9),
)
def test_round_trip_through_bytes_preserves_remaining_and_refresh_time(
    lifetime: float, share: float, elapsed: float, reader_monotonic: float
) -> None:
    writer = FakeClock(monotonic_seconds=1_000.0)
    token = _token(writer, lifetime=lifetime, refresh_after=lifetime * share)
    writer.advance(elapsed)
    decoded = SharedToken.decode(SharedToken.from_access_token(token, writer).encode())
    reader = FakeClock(monotonic_seconds=reader_monotonic, wall=writer.now())
    loaded = decoded.to_access_token(reader)
    remaining = token.expires_at - writer.monotonic()
    tolerance = 1e-6 * max(1.0, reader_monotonic, lifetime + elapsed)
    assert loaded.expires_at - reader.monotonic() == pytest.approx(remaining, abs=tolerance)
    assert loaded.refresh_at - loaded.obtained_at == pytest.approx(lifetime * share, abs=tolerance)


def test_issued_dates_the_expiry_from_when_the_request_was_sent() -> None:
    shared = SharedToken.issued(
        "a-raw-token-value", sent_wall=1_000.0, lifetime=600, refresh_after=540, issued_wall=1_002.0
    )
    assert shared.expires_wall == 1_600.0
    assert shared.fingerprint.startswith("tok-")
    assert "a-raw-token-value" not in repr(shared)


def _record(**changes: object) -> bytes:
    fields: dict[str, object] = {"v": 1, "token": "t", "type": "Bearer", "exp": 9}
    fields |= {"lifetime": 5, "refresh_after": 1, "issued": 1} | changes
    return json.dumps(fields).encode()


@pytest.mark.parametrize(
    "data",
    [
        b"not json",
        b"[]",
        b'{"v": 2}',
        _record(token=""),
        _record(lifetime=0),
        _record(exp="NaN"),
        _record(refresh_after=6),
    ],
)
def test_garbage_records_are_refused(data: bytes) -> None:
    with pytest.raises(MalformedSharedToken):
        SharedToken.decode(data)
