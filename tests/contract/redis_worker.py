"""A separate process sharing tokens through Redis, driven by the Redis contract tests.

    python redis_worker.py '<json options>'

Prints "ready" once built, waits for a line on stdin (so that all workers start together), runs
its mode and prints one JSON line with what it saw. Modes:
    burst    `calls` concurrent API calls on a cold provider -> statuses and token fingerprints
    refresh  get a token every 50 ms for `duration` seconds with the proactive refresher on ->
             the sequence of distinct fingerprints it used
    hang     take the token lock and never answer (a holder that dies mid-fetch)
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

import httpx2
from redis_support import make_replica

from ozon_mcp.adapters.auth import TokenProvider
from ozon_mcp.domain.lifetime import LifetimeRules
from ozon_mcp.domain.ports import ScopeSet, TokenResponse

LIMITS_PATH = "/api/client/limits/list"


class _Hanging:
    async def request_token(self, scopes: ScopeSet) -> TokenResponse:
        await asyncio.sleep(3600)
        raise AssertionError("unreachable")


async def main(options: dict[str, Any]) -> dict[str, object]:
    rules = LifetimeRules(refresh_margin=float(options.get("margin", 60.0)))
    replica = make_replica(
        {name: str(options[name]) for name in ("token_url", "client_id", "client_secret")},
        str(options["redis_url"]),
        rules=rules,
        lock_ttl=float(options.get("lock_ttl", 10.0)),
        proactive_refresh=options["mode"] == "refresh",
    )
    if options["mode"] == "hang":
        replica.endpoint._inner = _Hanging()  # the real endpoint, swapped for one that hangs
    print("ready", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    try:
        if options["mode"] == "burst":
            return await _burst(replica.provider, str(options["base_url"]), int(options["calls"]))
        if options["mode"] == "refresh":
            return await _refresh(replica.provider, float(options["duration"]))
        await replica.provider.get_token()
        return {}
    finally:
        await replica.aclose()


async def _burst(provider: TokenProvider, base_url: str, calls: int) -> dict[str, object]:
    async with httpx2.AsyncClient(base_url=base_url) as client:

        async def call() -> tuple[int, str]:
            token = await provider.get_token()
            response = await client.get(
                LIMITS_PATH, headers={"Authorization": f"Bearer {token.value}"}
            )
            return response.status_code, token.fingerprint

        results = await asyncio.gather(*(call() for _ in range(calls)))
    return {
        "statuses": [status for status, _ in results],
        "fingerprints": sorted({fp for _, fp in results}),
    }


async def _refresh(provider: TokenProvider, duration: float) -> dict[str, object]:
    seen: list[str] = []
    loop = asyncio.get_running_loop()
    end = loop.time() + duration
    while loop.time() < end:
        token = await provider.get_token()
        if not seen or seen[-1] != token.fingerprint:
            seen.append(token.fingerprint)
        await asyncio.sleep(0.05)
    return {"fingerprints": seen}


if __name__ == "__main__":
    result = asyncio.run(main(json.loads(sys.argv[1])))
    print(json.dumps(result), flush=True)
