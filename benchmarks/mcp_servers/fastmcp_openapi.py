"""FastMCP 4.x `FastMCP.from_openapi` on the repaired Ozon spec, with a static-token httpx2 client.

Everything else is FastMCP's default (output schemas, output validation, route maps).
Run with BENCH_SPEC, API_BASE_URL and STATIC_TOKEN set:
`python -m benchmarks.mcp_servers.fastmcp_openapi`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import httpx2
from fastmcp import FastMCP


def main() -> None:
    """Serve over stdio until stdin closes."""
    spec = json.loads(Path(os.environ["BENCH_SPEC"]).read_text(encoding="utf-8"))
    client = httpx2.AsyncClient(
        base_url=os.environ["API_BASE_URL"],
        headers={"Authorization": f"Bearer {os.environ['STATIC_TOKEN']}"},
    )
    server = FastMCP.from_openapi(spec, client=client, name="fastmcp-ozon")
    server.run(transport="stdio", show_banner=False)


if __name__ == "__main__":
    main()
