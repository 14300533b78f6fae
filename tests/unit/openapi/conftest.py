"""Shared fixtures for the OpenAPI unit tests: the bundled Ozon spec, loaded once."""

from __future__ import annotations

import logging

import pytest

from ozon_mcp.adapters.openapi import LoadedSpec, OperationTool, build_tools, load_spec


@pytest.fixture(scope="session")
def ozon_spec() -> LoadedSpec:
    """The bundled Ozon Performance spec (repairs logged once here, tested separately)."""
    logging.getLogger("ozon_mcp.openapi").disabled = True
    try:
        return load_spec()
    finally:
        logging.getLogger("ozon_mcp.openapi").disabled = False


@pytest.fixture(scope="session")
def ozon_tools(ozon_spec: LoadedSpec) -> dict[str, OperationTool]:
    """The Ozon tools by name, built with the defaults (no output schemas)."""
    return {tool.name: tool for tool in build_tools(ozon_spec)}
