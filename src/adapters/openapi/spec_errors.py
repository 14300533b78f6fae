"""The errors of spec loading, apart so that the loader and the repairs can share them."""

from __future__ import annotations

from ozon_mcp.domain.errors import ConfigurationError


class SpecError(ConfigurationError):
    """The spec cannot be understood; the message names the JSON pointer of the problem."""


class SpecLoadError(SpecError):
    """The spec file cannot be read or parsed safely; the message names the file and why.

    A configuration error like a missing variable: `serve` and `check` exit with status 2.
    """
