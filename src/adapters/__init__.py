"""Adapters: everything that talks to the outside world on behalf of the domain.

The public reuse surface is `from ozon_mcp import ClientCredentialsAuth` (an `auth=` for httpx
and httpx2 clients), imported on first use so that the rest of the package stays light.
"""
