"""Fault scenarios: S4 (503 twice), S4r (failure at refresh time), S5 (429 + Retry-After),
S6 (revoked tokens), S7 (malformed answer, missing expires_in, expires_in "1800.0").

Each starts from a reset emulator, scripts the token endpoint through the control surface and
resets it again, so no scripted answer leaks into the next contender.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from benchmarks.contenders import Contender
from benchmarks.scenarios.common import (
    Context,
    Metrics,
    Outcome,
    attempt,
    count,
    first_call,
    first_error,
    open_subject,
)

UNAVAILABLE: dict[str, Any] = {
    "status": 503,
    "body": "<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>",
    "content_type": "text/html",
}
S4R_EXPIRES_IN = 4
S4R_MARGIN = 2.0
S4R_FAIL_AT = 1.5  # seconds after the first token: the 503s are queued just before the refresh
S4R_CALL_EVERY = 0.1
S4R_STOP_AT = 3.7  # the old token stays valid until 4 s
RETRY_AFTER = 1
S7_SHORT_LIFETIME = 2
S7_LATE_CALL_AT = 2.6


def is_clear(error: str, *topics: str) -> bool:
    """The error names the token endpoint and one of `topics` (what was wrong)."""
    text = error.lower()
    return "token" in text and any(topic in text for topic in topics)


async def s4(contender: Contender, ctx: Context) -> Metrics:
    """S4: the next 2 token requests answer 503; does the first call succeed, how, how fast."""
    control = ctx.control
    await control.reset()
    await control.script(UNAVAILABLE, UNAVAILABLE)
    try:
        async with open_subject(contender, ctx.emulator) as subject:
            started = time.perf_counter()
            outcome = await first_call(subject)
            elapsed_ms = (time.perf_counter() - started) * 1e3
        attempts = await control.token_requests()
    finally:
        await control.reset()
    return {
        "first_call_ok": outcome.ok,
        "attempts": attempts,
        "elapsed_ms": elapsed_ms,
        "first_error": outcome.error or "",
    }


async def s4r(contender: Contender, ctx: Context) -> Metrics:
    """S4r: 4 s tokens, margin 2 s; the token endpoint answers 503 three times from just
    before the refresh is due while the old token stays valid. Failed calls until 3.7 s."""
    control = ctx.control
    await control.reset()
    await control.call("POST", "/token/expires-in", {"seconds": S4R_EXPIRES_IN})
    outcomes: list[Outcome] = []
    try:
        async with open_subject(contender, ctx.emulator, S4R_MARGIN) as subject:
            outcomes.append(await first_call(subject))
            start = time.perf_counter()
            scripted = False
            while (now := time.perf_counter() - start) < S4R_STOP_AT:
                if not scripted and now >= S4R_FAIL_AT:
                    await control.script(UNAVAILABLE, UNAVAILABLE, UNAVAILABLE)
                    scripted = True
                outcomes.append(await attempt(subject))
                await asyncio.sleep(S4R_CALL_EVERY)
        token_requests = await control.token_requests()
    finally:
        await control.reset()
    return {
        "token_requests": token_requests,
        **count(outcomes),
        "first_error": first_error(outcomes),
    }


async def s5(contender: Contender, ctx: Context) -> Metrics:
    """S5: the first token request answers 429 with Retry-After: 1."""
    control = ctx.control
    await control.reset()
    too_many = {
        "status": 429,
        "headers": {"Retry-After": str(RETRY_AFTER)},
        "body": "Too Many Requests",
        "content_type": "text/plain",
    }
    await control.script(too_many)
    try:
        async with open_subject(contender, ctx.emulator) as subject:
            started = time.perf_counter()
            outcome = await first_call(subject)
            elapsed_ms = (time.perf_counter() - started) * 1e3
        times = await control.token_request_times()
    finally:
        await control.reset()
    gap = times[1] - times[0] if len(times) >= 2 else None
    return {
        "first_call_ok": outcome.ok,
        "token_requests": len(times),
        "retry_gap_s": gap if gap is not None else "",
        "retry_after_honoured": outcome.ok and gap is not None and gap >= RETRY_AFTER - 0.01,
        "elapsed_ms": elapsed_ms,
        "first_error": outcome.error or "",
    }


async def s6(contender: Contender, ctx: Context) -> Metrics:
    """S6: a warm client, every token revoked; does the same call recover by itself?"""
    control = ctx.control
    await control.reset()
    try:
        async with open_subject(contender, ctx.emulator) as subject:
            warm = await first_call(subject)
            before = await control.token_requests()
            await control.call("POST", "/revoke")
            outcome = await attempt(subject)
            token_requests = await control.token_requests() - before
    finally:
        await control.reset()
    return {
        "warm_ok": warm.ok,
        "recovered": outcome.ok,
        "status": outcome.status if outcome.status is not None else "",
        "status_401": int(outcome.status == 401),
        "token_requests": token_requests,
        "first_error": first_error([outcome]),
    }


async def s7_malformed(contender: Contender, ctx: Context) -> Metrics:
    """S7a: every token answer is a 200 with truncated JSON; how clear is the error?"""
    control = ctx.control
    await control.reset()
    broken = {
        "status": 200,
        "body": '{"access_token": "abc", "expires_in',
        "content_type": "application/json",
    }
    await control.script(*[broken] * 8)
    try:
        async with open_subject(contender, ctx.emulator) as subject:
            started = time.perf_counter()
            outcome = await first_call(subject)
            elapsed_ms = (time.perf_counter() - started) * 1e3
        attempts = await control.token_requests()
    finally:
        await control.reset()
    error = outcome.error or ""
    return {
        "call_ok": outcome.ok,
        "attempts": attempts,
        "elapsed_ms": elapsed_ms,
        "clear_error": is_clear(error, "json", "malformed", "parse"),
        "first_error": error,
    }


async def s7_missing_expires_in(contender: Contender, ctx: Context) -> Metrics:
    """S7b: the token answer has no expires_in and the token (a JWT with `exp`) lives 2 s;
    a call at 2.6 s shows whether the token was refreshed in time."""
    control = ctx.control
    await control.reset()
    await control.call("POST", "/token/expires-in", {"seconds": S7_SHORT_LIFETIME})
    await control.script({"json": {"token_type": "Bearer"}, "mint_access_token": True})
    try:
        async with open_subject(contender, ctx.emulator) as subject:
            started = time.perf_counter()
            first = await first_call(subject)
            await asyncio.sleep(max(0.0, S7_LATE_CALL_AT - (time.perf_counter() - started)))
            late = await attempt(subject)
        token_requests = await control.token_requests()
    finally:
        await control.reset()
    return {
        "first_call_ok": first.ok,
        "late_call_ok": late.ok,
        "status_401": int(late.status == 401),
        "token_requests": token_requests,
        "first_error": first_error([first, late]),
    }


async def s7_float_string(contender: Contender, ctx: Context) -> Metrics:
    """S7c: expires_in arrives as the string "1800.0"."""
    control = ctx.control
    await control.reset()
    odd = {"json": {"token_type": "Bearer", "expires_in": "1800.0"}, "mint_access_token": True}
    await control.script(odd)
    try:
        async with open_subject(contender, ctx.emulator) as subject:
            outcome = await first_call(subject)
            again = await attempt(subject) if outcome.ok else outcome
        token_requests = await control.token_requests()
    finally:
        await control.reset()
    return {
        "first_call_ok": outcome.ok,
        "second_call_ok": again.ok,
        "token_requests": token_requests,
        "first_error": outcome.error or "",
    }
