"""The published tool schemas load in a real strict validator: Ajv (the validator of TypeScript
MCP clients) in strict mode with ajv-formats, run by node on the tools/list of a real session.

Ajv is installed on demand into a temporary folder outside the repository (npm registry);
the test skips, saying why, only when node or npm is missing or the registry is unreachable.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from mcp import types
from mcp_support import emulator_settings, mcp_session

from ozon_mcp.adapters.emulator import EmulatorHandle
from ozon_mcp.adapters.mcp.server import to_mcp_tool
from ozon_mcp.adapters.openapi import build_tools, load_spec

# One emulator for the module, reset before each test (see conftest).
SHARED_EMULATOR = True
CHECKER = Path(__file__).with_name("ajv_strict_check.cjs")
FIXTURE_SPECS = Path(__file__).resolve().parents[1] / "fixtures" / "specs"
AJV_PACKAGES = ("ajv@8", "ajv-formats@3")
NPM_LIMIT = 240.0  # seconds, a cold install on a slow machine


@pytest.fixture(scope="module")
def ajv_node_path() -> str:
    """A NODE_PATH holding ajv and ajv-formats (installed once per machine into tmp)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("node/npm not installed: cannot run Ajv, the strict validator of TS clients")
    folder = Path(
        os.environ.get("OZON_MCP_AJV_DIR") or Path(tempfile.gettempdir()) / "ozon-mcp-ajv"
    )
    modules = folder / "node_modules"
    if not ((modules / "ajv").is_dir() and (modules / "ajv-formats").is_dir()):
        folder.mkdir(parents=True, exist_ok=True)
        try:
            installed = subprocess.run(
                [npm, "install", "--no-audit", "--no-fund", "--prefix", str(folder), *AJV_PACKAGES],
                capture_output=True,
                text=True,
                timeout=NPM_LIMIT,
                check=False,
            )
        except subprocess.TimeoutExpired:
            pytest.skip(f"npm install of {AJV_PACKAGES} took over {NPM_LIMIT:.0f} s (registry?)")
        if installed.returncode != 0:
            pytest.skip(f"npm cannot install {AJV_PACKAGES}: {installed.stderr.strip()[-300:]}")
    return str(modules)


def strict_refusals(listed: dict[str, object], node_path: str, where: Path) -> dict[str, object]:
    """What Ajv strict mode says about every schema in a tools/list answer."""
    answer = where / "tools-list.json"
    answer.write_text(json.dumps(listed), encoding="utf-8")
    node = shutil.which("node")
    assert node is not None
    run = subprocess.run(
        [node, str(CHECKER), str(answer)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "NODE_PATH": node_path},
        check=False,
    )
    assert run.returncode == 0, run.stderr
    result: dict[str, object] = json.loads(run.stdout)
    return result


@pytest.mark.anyio
@pytest.mark.parametrize("output_schemas", [False, True])
async def test_every_published_schema_compiles_in_ajv_strict_mode(
    emulator: EmulatorHandle, ajv_node_path: str, tmp_path: Path, output_schemas: bool
) -> None:
    settings = emulator_settings(emulator, ozon_mcp_output_schemas=output_schemas)
    async with mcp_session(settings) as session:
        listed = (await session.client.list_tools()).model_dump(
            mode="json", by_alias=True, exclude_none=True
        )
    tools = listed["tools"]
    assert len(tools) == 42  # 40 operations + auth_status + get_campaign_statistics
    verdict = strict_refusals(listed, ajv_node_path, tmp_path)
    with_output = sum(1 for tool in tools if "outputSchema" in tool)
    assert verdict["checked"] == len(tools) + with_output
    assert (with_output > 0) == output_schemas
    assert verdict["refused"] == []


def test_the_checker_does_refuse_a_non_standard_format(ajv_node_path: str, tmp_path: Path) -> None:
    """The check can fail: the schema shape Ozon's spec had before translation is refused."""
    legacy = {
        "tools": [
            {
                "name": "ListCampaignObjects",
                "inputSchema": {
                    "type": "object",
                    "properties": {"campaignId": {"type": "string", "format": "uint64"}},
                },
            },
            {"name": "Fine", "inputSchema": {"type": "object", "properties": {}}},
        ]
    }
    verdict = strict_refusals(legacy, ajv_node_path, tmp_path)
    assert verdict["checked"] == 2
    refused = verdict["refused"]
    assert isinstance(refused, list)
    assert len(refused) == 1
    assert refused[0]["tool"] == "ListCampaignObjects"
    assert 'unknown format "uint64"' in refused[0]["error"]


@pytest.mark.parametrize(
    "spec_file", sorted(FIXTURE_SPECS.glob("*.openapi.json")), ids=lambda path: path.stem
)
def test_other_vendors_schemas_compile_in_ajv_strict_mode(
    spec_file: Path, ajv_node_path: str, tmp_path: Path
) -> None:
    tools = build_tools(load_spec(str(spec_file)), output_schemas=True)
    assert tools
    listed = types.ListToolsResult(tools=[to_mcp_tool(tool) for tool in tools]).model_dump(
        mode="json", by_alias=True, exclude_none=True
    )
    verdict = strict_refusals(listed, ajv_node_path, tmp_path)
    assert verdict["checked"] == len(tools) + sum(1 for t in tools if t.output_schema)
    assert verdict["refused"] == []
