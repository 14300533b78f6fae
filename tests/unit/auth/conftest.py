"""Shared helpers for the auth adapter unit tests (no sockets, no real sleeps)."""

from __future__ import annotations

import pytest


@pytest.fixture
def anyio_backend() -> str:
    """The async tests here run on asyncio, the loop the product uses."""
    return "asyncio"
