"""The curation and HTTP flags reach the settings (flags win over the environment)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ozon_mcp.app.cli import _settings_from, build_parser


@pytest.fixture(autouse=True)
def no_dotenv(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no developer's .env


def test_curation_flags_become_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OZON_MCP_TOOLS", "Vendor")
    monkeypatch.delenv("OZON_MCP_READ_ONLY", raising=False)
    args = build_parser().parse_args(
        ["serve", "--tools", "Campaign,*Bids*", "--exclude-tools", "GetLimitsList", "--read-only"]
    )
    settings = _settings_from(args)
    assert settings.ozon_mcp_tools == "Campaign,*Bids*"
    assert settings.ozon_mcp_exclude_tools == "GetLimitsList"
    assert settings.ozon_mcp_read_only is True


def test_without_flags_the_environment_decides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OZON_MCP_TOOLS", "Vendor")
    monkeypatch.setenv("OZON_MCP_READ_ONLY", "1")
    monkeypatch.setenv("OZON_MCP_DESCRIPTIONS", "FULL")
    settings = _settings_from(build_parser().parse_args(["check"]))
    assert settings.ozon_mcp_tools == "Vendor"
    assert settings.ozon_mcp_read_only is True
    assert settings.ozon_mcp_descriptions == "full"


def test_allow_unauthenticated_is_a_serve_flag() -> None:
    args = build_parser().parse_args(["serve", "--transport", "http", "--allow-unauthenticated"])
    assert args.allow_unauthenticated is True
    assert build_parser().parse_args(["serve"]).allow_unauthenticated is False
