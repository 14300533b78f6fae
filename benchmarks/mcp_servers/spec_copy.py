"""The spec copies the peer servers read: the raw bundled spec, and a FastMCP-loadable copy.

FastMCP validates specs with openapi-pydantic and refuses the raw Ozon spec: four Schema Objects
carry a boolean `required: true`, which OpenAPI 3.0 allows only on Parameter and Request Body
objects. `repair_boolean_required` moves each into the `required` list of the object that owns
the property (for a component schema, of every object whose property refers to it) and changes
nothing else.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

SPEC_NAME = "ozon-performance.openapi.json"


def bundled_spec_path() -> Path:
    """The spec shipped in `ozon_mcp.adapters.openapi` (found without importing the package:
    `src/` installs as `ozon_mcp`, so the spec is `<package>/adapters/openapi/data/`)."""
    found = importlib.util.find_spec("ozon_mcp")
    if found is None or found.origin is None:
        raise RuntimeError("the ozon-mcp package is not installed (ozon_mcp not found)")
    path = Path(found.origin).parent / "adapters" / "openapi" / "data" / SPEC_NAME
    if not path.is_file():
        raise RuntimeError(f"the bundled spec is missing: {path}")
    return path


def _objects(node: Any, pointer: str) -> list[tuple[str, dict[str, Any]]]:
    """Every dict under `node` with its JSON pointer, depth first."""
    found: list[tuple[str, dict[str, Any]]] = []
    if isinstance(node, dict):
        found.append((pointer, node))
        for key, value in node.items():
            found += _objects(value, f"{pointer}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _objects(value, f"{pointer}/{index}")
    return found


def _require(owner: dict[str, Any], name: str) -> None:
    required = owner.setdefault("required", [])
    if name not in required:
        required.append(name)


def repair_boolean_required(document: dict[str, Any]) -> list[str]:
    """Move boolean `required` out of Schema Objects in place; returns the pointers changed."""
    schemas = document.get("components", {}).get("schemas", {})
    moved: list[str] = []
    for pointer, owner in _objects(schemas, "#/components/schemas"):
        for name, prop in (owner.get("properties") or {}).items():
            if isinstance(prop, dict) and isinstance(prop.get("required"), bool):
                if prop.pop("required"):
                    _require(owner, name)
                moved.append(f"{pointer}/properties/{name}/required")
    for name, schema in schemas.items():
        if isinstance(schema, dict) and isinstance(schema.get("required"), bool):
            if schema.pop("required"):
                target = f"#/components/schemas/{name}"
                for _, owner in _objects(document, "#"):
                    for prop_name, prop in (owner.get("properties") or {}).items():
                        if isinstance(prop, dict) and prop.get("$ref") == target:
                            _require(owner, prop_name)
            moved.append(f"#/components/schemas/{name}/required")
    return moved


def write_fastmcp_copy(directory: Path) -> tuple[Path, list[str]]:
    """Write the repaired copy into `directory`; returns its path and the repaired pointers."""
    document = json.loads(bundled_spec_path().read_text(encoding="utf-8"))
    moved = repair_boolean_required(document)
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / "ozon-performance.fastmcp.json"
    target.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return target, moved
