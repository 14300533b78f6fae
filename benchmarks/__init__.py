"""Benchmarks of ozon-mcp side by side with Authlib, httpx-auth and FastMCP (`nox -s bench`).

Run `python -m benchmarks --help`; what each scenario measures is in docs/benchmarks.md. Never
part of CI and not pytest tests.
"""
