"""The peer MCP servers of the MCP-level benchmark, each run as `python -m <module>` over stdio.

Both read `BENCH_SPEC` (a spec file), `API_BASE_URL` and `STATIC_TOKEN` from the environment.
"""
