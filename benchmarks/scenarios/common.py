"""What every token-manager scenario shares: the run context, sizes and call helpers."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace

from benchmarks.contenders import Contender, Endpoints, Subject
from benchmarks.servers import Control

# GET /api/client/campaign (ListCampaigns): a cheap authenticated GET on the emulator.
PATH = "/api/client/campaign"

Metrics = dict[str, object]


@dataclass(frozen=True)
class Sizes:
    """Iteration counts; `quick()` shrinks them for a smoke run (never recorded in the docs)."""

    s1_herd: int = 200
    s2_calls: int = 5_000
    s2m_calls: int = 20_000
    warmup_calls: int = 200
    s3_duration: float = 8.0
    s3_interval: float = 0.5
    s3_wave: int = 50

    def warm_up(self) -> Sizes:
        """The unrecorded round before the cost scenarios."""
        return replace(self, s2_calls=300, s2m_calls=1_000, warmup_calls=50)

    def quick(self) -> Sizes:
        return replace(self, s1_herd=50, s2_calls=500, s2m_calls=2_000, s3_duration=3.0)


@dataclass(frozen=True)
class Context:
    """Where the servers are. `emulator` serves the correctness scenarios (generic mode);
    `s3_emulators` give each S3 contender its own emulator; `fast` serves S2/S2s/S2m."""

    emulator: Endpoints
    control: Control
    s3_emulators: tuple[Endpoints, ...]
    fast: Endpoints
    sizes: Sizes


@dataclass(frozen=True)
class Outcome:
    """What a caller saw: a status, or an exception (type and message)."""

    status: int | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def describe(exc: BaseException) -> str:
    """`Type: message` on one line, cut to 320 characters."""
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}"[:320]


async def attempt(subject: Subject, path: str = PATH) -> Outcome:
    """One GET that never raises."""
    try:
        return Outcome(status=await subject.get(path))
    except Exception as exc:
        return Outcome(error=describe(exc))


async def prime(subject: Subject) -> Outcome:
    """Run the subject's documented first step (Authlib: fetch_token) without raising."""
    try:
        await subject.prime()
    except Exception as exc:
        return Outcome(error=describe(exc))
    return Outcome(status=200)


async def first_call(subject: Subject, path: str = PATH) -> Outcome:
    """A cold subject's first call as its user would make it: prime, then GET."""
    primed = await prime(subject)
    if primed.error is not None:
        return primed
    return await attempt(subject, path)


@contextlib.asynccontextmanager
async def open_subject(
    contender: Contender, endpoints: Endpoints, margin: float | None = None, mock: bool = False
) -> AsyncIterator[Subject]:
    """A fresh subject, closed afterwards."""
    subject = contender.make(endpoints, margin, mock)
    try:
        yield subject
    finally:
        await subject.aclose()


def count(outcomes: list[Outcome]) -> Metrics:
    """Successes, 401s seen by callers and failed calls (non-2xx or exception)."""
    return {
        "calls": len(outcomes),
        "successes": sum(o.ok for o in outcomes),
        "status_401": sum(o.status == 401 for o in outcomes),
        "failed_calls": sum(not o.ok for o in outcomes),
    }


def first_error(outcomes: list[Outcome]) -> str:
    """The first exception or non-2xx status among the outcomes ('' when none)."""
    for outcome in outcomes:
        if outcome.error is not None:
            return outcome.error
        if not outcome.ok:
            return f"HTTP {outcome.status}"
    return ""
