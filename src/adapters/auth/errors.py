"""Errors of the auth adapters (a shared lifecycle error is re-raised as `error.worded(...)`)."""

from __future__ import annotations

from ozon_mcp.domain.errors import OzonMcpError


class ProviderClosedError(OzonMcpError, RuntimeError):
    """A token provider was used after `aclose()` / `close()`."""
