"""The expires_in rules: accepted forms, fallbacks with a warning, malformed values, the cap."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ozon_mcp.domain import (
    LifetimeRules,
    LifetimeSource,
    MalformedTokenResponseError,
    parse_expires_in,
    resolve_lifetime,
)

RULES = LifetimeRules()
WALL = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "seconds"),
    [
        (1800, 1800.0),
        (1800.0, 1800.0),
        (1800.5, 1800.5),
        ("1800", 1800.0),
        ("1800.0", 1800.0),  # crashes Authlib, httpx-auth, MSAL and google-auth
        (" 3600\n", 3600.0),
        ("1e3", 1000.0),
        (1, 1.0),
        (86_400, 86_400.0),
    ],
)
def test_numbers_and_numeric_strings_are_accepted(raw: object, seconds: float) -> None:
    assert parse_expires_in(raw, RULES) == seconds


@pytest.mark.parametrize("raw", [86_401, 10**9, "999999", 1e300, 10**400, "1" + "0" * 30], ids=repr)
def test_more_than_one_day_is_capped_at_one_day(raw: object) -> None:
    assert parse_expires_in(raw, RULES) == 86_400.0


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        (0, "at least 1 s"),
        (-1, "at least 1 s"),
        (-(10**400), "at least 1 s"),
        (0.999, "at least 1 s"),
        ("0", "at least 1 s"),
        ("-60", "at least 1 s"),
        (math.nan, "expires_in=nan"),
        (math.inf, "expires_in=inf"),
        (-math.inf, "expires_in=-inf"),
        ("NaN", "expires_in=nan"),
        ("Infinity", "expires_in=inf"),
        ("1e400", "expires_in=inf"),
        (True, "a boolean"),
        (False, "a boolean"),
        ("abc", "not a number"),
        ("", "not a number"),
        ("30 minutes", "not a number"),
        ([1800], "of type list"),
        ({"s": 1}, "of type dict"),
    ],
    ids=repr,
)
def test_unusable_values_are_malformed_with_a_clear_message(raw: object, fragment: str) -> None:
    with pytest.raises(MalformedTokenResponseError, match="expires_in") as caught:
        parse_expires_in(raw, RULES)

    assert fragment in caught.value.message


def test_a_long_garbage_string_is_trimmed_in_the_message() -> None:
    with pytest.raises(MalformedTokenResponseError) as caught:
        parse_expires_in("x" * 10_000, RULES)

    assert len(caught.value.message) < 200


@given(st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(), st.binary()))
def test_any_value_either_parses_into_the_allowed_range_or_is_malformed(raw: object) -> None:
    try:
        seconds = parse_expires_in(raw, RULES)
    except MalformedTokenResponseError:
        return
    assert RULES.min_lifetime <= seconds <= RULES.max_lifetime


def test_given_expires_in_wins_over_the_jwt_exp_without_a_warning() -> None:
    lifetime = resolve_lifetime("900", jwt_exp=WALL.timestamp() + 3600, wall_now=WALL, rules=RULES)

    assert lifetime.seconds == 900.0
    assert lifetime.source is LifetimeSource.EXPIRES_IN
    assert lifetime.warning is None


def test_missing_expires_in_uses_the_jwt_exp_with_a_warning() -> None:
    lifetime = resolve_lifetime(None, jwt_exp=WALL.timestamp() + 3600, wall_now=WALL, rules=RULES)

    assert lifetime.seconds == 3600.0
    assert lifetime.source is LifetimeSource.JWT_EXP
    assert lifetime.warning is not None
    assert "exp claim" in lifetime.warning


def test_a_jwt_exp_beyond_one_day_is_capped() -> None:
    lifetime = resolve_lifetime(
        None, jwt_exp=WALL.timestamp() + 10 * 86_400, wall_now=WALL, rules=RULES
    )

    assert lifetime.seconds == 86_400.0
    assert lifetime.source is LifetimeSource.JWT_EXP


def test_missing_expires_in_without_a_jwt_uses_the_default_with_a_warning() -> None:
    lifetime = resolve_lifetime(None, jwt_exp=None, wall_now=WALL, rules=RULES)

    assert lifetime.seconds == 1800.0  # Ozon documents 1800 s
    assert lifetime.source is LifetimeSource.DEFAULT
    assert lifetime.warning is not None
    assert "not a JWT" in lifetime.warning
    assert "1800" in lifetime.warning


def test_the_default_lifetime_is_configurable() -> None:
    rules = LifetimeRules(default_expires_in=600)

    assert resolve_lifetime(None, jwt_exp=None, wall_now=WALL, rules=rules).seconds == 600.0


@pytest.mark.parametrize(
    ("offset", "explanation"),
    [
        (-3600.0, "is 3600 s in the past (is the local clock wrong?)"),
        (0.0, "leaves only 0.0 s"),
        (0.5, "leaves only 0.5 s"),
    ],
)
def test_a_jwt_exp_too_close_or_past_falls_back_to_the_default_and_says_why(
    offset: float, explanation: str
) -> None:
    lifetime = resolve_lifetime(None, jwt_exp=WALL.timestamp() + offset, wall_now=WALL, rules=RULES)

    assert lifetime.seconds == 1800.0
    assert lifetime.source is LifetimeSource.DEFAULT
    assert lifetime.warning == f"expires_in missing and the token's exp claim {explanation}: " + (
        "assuming 1800 s"
    )


@pytest.mark.parametrize("jwt_exp", [math.nan, math.inf, -math.inf])
def test_a_non_finite_jwt_exp_is_ignored(jwt_exp: float) -> None:
    lifetime = resolve_lifetime(None, jwt_exp=jwt_exp, wall_now=WALL, rules=RULES)

    assert lifetime.seconds == 1800.0
    assert lifetime.source is LifetimeSource.DEFAULT


def test_a_malformed_expires_in_is_not_rescued_by_the_jwt_exp() -> None:
    with pytest.raises(MalformedTokenResponseError):
        resolve_lifetime(0, jwt_exp=WALL.timestamp() + 3600, wall_now=WALL, rules=RULES)


# --- the refresh schedule ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lifetime", "refresh_after"),
    [
        (1800.0, 1740.0),
        (121.0, 61.0),
        (120.0, 60.0),
        (60.0, 30.0),
        (1.0, 0.5),
        (86_400.0, 86_340.0),
    ],
)
def test_refresh_after_uses_the_margin_or_half_the_lifetime(
    lifetime: float, refresh_after: float
) -> None:
    assert RULES.refresh_after(lifetime) == refresh_after


@given(
    margin=st.floats(0.001, 3600.0),
    lifetime=st.floats(1.0, 86_400.0),
)
def test_the_refresh_always_comes_in_the_second_half_of_the_lifetime(
    margin: float, lifetime: float
) -> None:
    refresh_after = LifetimeRules(refresh_margin=margin).refresh_after(lifetime)

    assert lifetime / 2 <= refresh_after < lifetime


@pytest.mark.parametrize(
    "kwargs",
    [
        {"refresh_margin": -1.0},
        {"refresh_margin": 0.0},
        {"refresh_margin": math.nan},
        {"refresh_margin": math.inf},
        {"default_expires_in": 0.5},
        {"default_expires_in": 100_000.0},
        {"min_lifetime": 0.0},
        {"min_lifetime": -5.0},
        {"max_lifetime": 100.0},
    ],
    ids=repr,
)
def test_inconsistent_rules_are_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="must"):
        LifetimeRules(**kwargs)
