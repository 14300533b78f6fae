"""The installed version of ozon-mcp (kept import-light for `--version`)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version


def package_version() -> str:
    """The installed version of ozon-mcp."""
    try:
        return version("ozon-mcp")
    except PackageNotFoundError:  # running from a source tree without installation
        return "0+unknown"
