"""How long a token lives and when to refresh it, from whatever the token endpoint sent.

Rules:
- `expires_in` may be an int, a float or a numeric string ("1800", "1800.0"); bool, NaN, inf,
  zero, negative, below `min_lifetime` or non-numeric is malformed.
- Missing (or null) `expires_in`: the JWT `exp` claim when the token carries one, else the
  configured default; either way a warning is produced.
- More than `max_lifetime` (one day) is capped.
- Refresh at `lifetime - margin`, or at half the lifetime when `lifetime <= 2 * margin`, so the
  refresh always comes after at least half of the lifetime: no refresh loop is possible.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from ozon_mcp.domain.errors import MalformedTokenResponseError


class LifetimeSource(Enum):
    """Where a token's lifetime came from."""

    EXPIRES_IN = "expires_in"
    JWT_EXP = "jwt_exp"
    DEFAULT = "default"


@dataclass(frozen=True)
class LifetimeRules:
    """The knobs of the lifetime rules (seconds)."""

    refresh_margin: float = 60.0
    default_expires_in: float = 1800.0
    max_lifetime: float = 86_400.0
    min_lifetime: float = 1.0

    def __post_init__(self) -> None:
        # A zero margin would schedule the refresh at the expiry itself, so callers would wait.
        if not math.isfinite(self.refresh_margin) or self.refresh_margin <= 0:
            raise ValueError("refresh_margin must be a finite number of seconds > 0")
        if not self.min_lifetime > 0:
            raise ValueError("min_lifetime must be > 0, or expires_in=0 would be accepted")
        if not self.min_lifetime <= self.default_expires_in <= self.max_lifetime:
            raise ValueError("default_expires_in must lie between min_lifetime and max_lifetime")

    def refresh_after(self, lifetime: float) -> float:
        """Seconds after the request was sent at which a refresh becomes due."""
        if lifetime <= 2 * self.refresh_margin:
            return lifetime / 2
        return lifetime - self.refresh_margin


@dataclass(frozen=True)
class Lifetime:
    """A validated lifetime and how it was decided."""

    seconds: float
    source: LifetimeSource
    warning: str | None = None


def parse_expires_in(raw: object, rules: LifetimeRules) -> float:
    """Turn a raw `expires_in` value into seconds, or raise `MalformedTokenResponseError`."""
    if isinstance(raw, bool):
        raise MalformedTokenResponseError(
            f"the token endpoint sent expires_in={raw!r}, a boolean instead of a number of seconds"
        )
    value: float
    if isinstance(raw, int):
        # JSON integers are unbounded: clamp first so that float() cannot overflow; a huge value
        # is still "more than the maximum" (capped below) and a hugely negative one malformed.
        value = float(max(min(raw, 2**64), -(2**64)))
    elif isinstance(raw, float):
        value = raw
    elif isinstance(raw, str):
        try:
            value = float(raw.strip())
        except ValueError:
            raise MalformedTokenResponseError(
                f"the token endpoint sent expires_in={raw[:40]!r}, which is not a number"
            ) from None
    else:
        raise MalformedTokenResponseError(
            f"the token endpoint sent expires_in of type {type(raw).__name__}, not a number"
        )
    if not math.isfinite(value):
        raise MalformedTokenResponseError(f"the token endpoint sent expires_in={value!r}")
    if value < rules.min_lifetime:
        raise MalformedTokenResponseError(
            f"the token endpoint sent expires_in={value:g}: a token must live at least "
            f"{rules.min_lifetime:g} s"
        )
    return min(value, rules.max_lifetime)


def resolve_lifetime(
    raw_expires_in: object | None,
    *,
    jwt_exp: float | None,
    wall_now: datetime,
    rules: LifetimeRules,
) -> Lifetime:
    """Decide a token's lifetime from `expires_in`, else the JWT `exp` claim, else the default."""
    if raw_expires_in is not None:
        return Lifetime(parse_expires_in(raw_expires_in, rules), LifetimeSource.EXPIRES_IN)
    if jwt_exp is not None and math.isfinite(jwt_exp):
        remaining = jwt_exp - wall_now.timestamp()
        if remaining >= rules.min_lifetime:
            return Lifetime(
                min(remaining, rules.max_lifetime),
                LifetimeSource.JWT_EXP,
                f"expires_in missing: using the token's exp claim ({remaining:.0f} s left)",
            )
        # An exp a moment ahead is not "in the past": say what is wrong with it either way.
        problem = (
            f"is {-remaining:.0f} s in the past (is the local clock wrong?)"
            if remaining < 0
            else f"leaves only {remaining:.1f} s"
        )
        default_warning = (
            f"expires_in missing and the token's exp claim {problem}: "
            f"assuming {rules.default_expires_in:g} s"
        )
        return Lifetime(rules.default_expires_in, LifetimeSource.DEFAULT, default_warning)
    return Lifetime(
        rules.default_expires_in,
        LifetimeSource.DEFAULT,
        f"expires_in missing and the token is not a JWT: assuming {rules.default_expires_in:g} s",
    )
