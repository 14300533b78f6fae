"""The `ozon-mcp` command line: serve, check, report, demo and emulator."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ozon_mcp.app.report_command import add_report_parser
from ozon_mcp.app.settings import Settings, SettingsError, load_settings, report_problems
from ozon_mcp.app.version import package_version


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--spec", help="OpenAPI spec file (JSON/YAML); overrides OPENAPI_SPEC")
    parser.add_argument("--env-file", type=Path, help="read settings from this file, not ./.env")
    parser.add_argument(
        "--log-level",
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        type=str.upper,
        help="overrides LOG_LEVEL",
    )
    parser.add_argument(
        "--tools", help="expose only these tools (operationIds, tags, globs; comma separated)"
    )
    parser.add_argument(
        "--exclude-tools", help="hide these tools (operationIds, tags, globs; comma separated)"
    )
    parser.add_argument(
        "--read-only",
        action="store_true",
        default=None,
        help="expose only operations that cannot change the account (OZON_MCP_READ_ONLY=1)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every sub-command."""
    parser = argparse.ArgumentParser(
        prog="ozon-mcp",
        description=(
            "MCP server for OpenAPI APIs behind OAuth 2.0 client credentials "
            "(Ozon Performance API built in). Configuration: OAUTH_* and API_BASE_URL "
            "environment variables or a .env file."
        ),
    )
    parser.add_argument("--version", action="version", version=f"ozon-mcp {package_version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the MCP server (stdio by default)")
    serve.add_argument("--transport", choices=["stdio", "http"], default="stdio")
    serve.add_argument("--host", default="127.0.0.1", help="HTTP bind address (http transport)")
    serve.add_argument("--port", type=int, default=8000, help="HTTP port (http transport)")
    serve.add_argument(
        "--allow-unauthenticated",
        action="store_true",
        help="serve HTTP on a non-loopback address without client authentication",
    )
    serve.add_argument(
        "--stateless",
        action="store_true",
        help="stateless streamable HTTP: no sessions, any replica answers any request",
    )
    _add_common(serve)

    check = commands.add_parser(
        "check", help="validate the configuration, obtain a token and call a probe operation"
    )
    check.add_argument(
        "--probe", help="operationId to call as a probe (default OZON_MCP_PROBE_OPERATION)"
    )
    _add_common(check)

    _add_common(add_report_parser(commands))

    tools = commands.add_parser(
        "tools", help="list the tools this configuration exposes and how each authenticates"
    )
    tools.add_argument("--json", action="store_true", help="one JSON object, for scripts")
    _add_common(tools)

    demo = commands.add_parser(
        "demo", help="run the server against the built-in emulator and show a timeline"
    )
    demo.add_argument(
        "--expires-in", type=int, default=6, help="token lifetime the emulator grants (s)"
    )

    commands.add_parser(
        "emulator",
        help="run the built-in Ozon Performance API emulator (see `ozon-mcp emulator --help`)",
        add_help=False,
    )
    return parser


def _settings_from(args: argparse.Namespace) -> Settings:
    overrides: dict[str, Any] = {
        "openapi_spec": getattr(args, "spec", None),
        "log_level": getattr(args, "log_level", None),
        "ozon_mcp_tools": getattr(args, "tools", None),
        "ozon_mcp_exclude_tools": getattr(args, "exclude_tools", None),
        "ozon_mcp_read_only": getattr(args, "read_only", None),
    }
    return load_settings(overrides, env_file=getattr(args, "env_file", None))


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script; returns the process exit code."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["emulator"]:
        from ozon_mcp.adapters.emulator.cli import main as emulator_main

        return emulator_main(arguments[1:], prog="ozon-mcp emulator")
    args = build_parser().parse_args(arguments)
    if args.command == "demo":
        from ozon_mcp.app.demo import run_demo

        return run_demo(expires_in=args.expires_in)
    try:
        settings = _settings_from(args)
    except SettingsError as exc:
        return report_problems(exc.problems)
    if args.command == "tools":
        from ozon_mcp.app.tools_command import run_tools

        return run_tools(settings, as_json=args.json)
    if args.command == "serve":
        from ozon_mcp.app.runtime import serve

        if args.stateless and args.transport != "http":
            return report_problems(["--stateless only applies to --transport http"])
        return serve(
            settings,
            transport=args.transport,
            host=args.host,
            port=args.port,
            allow_unauthenticated=args.allow_unauthenticated,
            stateless=args.stateless,
        )
    if args.command == "report":
        from ozon_mcp.app.report_command import run_report

        return run_report(settings, args)
    from ozon_mcp.app.check import run_check

    return run_check(settings, probe=args.probe)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
