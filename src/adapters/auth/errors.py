"""Errors of the auth adapters, and how a shared lifecycle error is re-raised safely."""

from __future__ import annotations

import copy

from ozon_mcp.domain.errors import OzonMcpError, TokenAcquisitionError


class ProviderClosedError(OzonMcpError, RuntimeError):
    """A token provider was used after `aclose()` / `close()`."""


def fresh_error(error: TokenAcquisitionError) -> TokenAcquisitionError:
    """A copy of `error` to raise for one caller.

    The lifecycle answers every caller in a cool-down with the same error object; raising that
    one object again and again would chain every caller's traceback onto it (and keep their
    frames alive), so each caller gets its own copy with the same type and message.
    """
    clone = copy.copy(error)
    clone.__traceback__ = None
    clone.__cause__ = None
    clone.__context__ = None
    return clone
