"""The floor (see floor.py) over streamable HTTP: the same low-level `Server`, served by the
SDK's own Starlette app under uvicorn, stateful or stateless.

    BENCH_SPEC=... API_BASE_URL=... STATIC_TOKEN=... \\
        python -m benchmarks.mcp_servers.floor_http --port 8000 [--stateless]
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import anyio
import httpx2
import uvicorn

from benchmarks.mcp_servers.floor import build


async def serve(port: int, stateless: bool) -> None:
    spec = json.loads(Path(os.environ["BENCH_SPEC"]).read_text(encoding="utf-8"))
    async with httpx2.AsyncClient(
        base_url=os.environ["API_BASE_URL"],
        headers={"Authorization": f"Bearer {os.environ['STATIC_TOKEN']}"},
    ) as client:
        server = build(spec, client)
        app = server.streamable_http_app(streamable_http_path="/mcp", stateless_http=stateless)
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
        await uvicorn.Server(config).serve()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--stateless", action="store_true")
    args = parser.parse_args()
    anyio.run(serve, args.port, args.stateless)
