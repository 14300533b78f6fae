"""`python -m ozon_mcp.adapters.emulator` (and `ozon-mcp emulator`): run the emulator."""

from __future__ import annotations

import argparse
import logging
import sys

from ozon_mcp.adapters.openapi.spec import LoadedSpec, load_spec
from ozon_mcp.domain.errors import ConfigurationError

from .config import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_DAILY_BUDGET,
    DEFAULT_EXPIRES_IN,
    DEFAULT_REPORT_DELAY,
    EmulatorConfig,
)
from .control import EmulatorControl
from .server import EmulatorStartError, serve_forever
from .spec_security import SpecSecurity
from .token_endpoint import TOKEN_PATH


def _port(text: str) -> int:
    value = int(text)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{value} is not a port (0-65535; 0 picks a free one)")
    return value


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _seconds(text: str) -> float:
    value = float(text)
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"must be a number of seconds >= 0, got {text}")
    return value


def build_parser(prog: str = "python -m ozon_mcp.adapters.emulator") -> argparse.ArgumentParser:
    """The command-line options (shared with the `ozon-mcp emulator` subcommand)."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Run the built-in Ozon Performance API emulator on loopback.",
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )
    parser.add_argument(
        "--port", type=_port, default=0, help="port to listen on (default: a free one)"
    )
    parser.add_argument("--client-id", default=DEFAULT_CLIENT_ID, help="accepted client_id")
    parser.add_argument(
        "--client-secret", default=DEFAULT_CLIENT_SECRET, help="accepted client_secret"
    )
    parser.add_argument(
        "--expires-in",
        type=_positive_int,
        default=DEFAULT_EXPIRES_IN,
        help=f"token lifetime in seconds (default {DEFAULT_EXPIRES_IN})",
    )
    parser.add_argument(
        "--generic",
        action="store_true",
        help="also accept form-encoded token requests and HTTP Basic client auth",
    )
    parser.add_argument(
        "--spec",
        metavar="PATH",
        help=(
            "serve this OpenAPI/Swagger spec instead of Ozon's: its routes, validation and "
            "security; the token endpoint at its tokenUrl path (form body and HTTP Basic)"
        ),
    )
    parser.add_argument(
        "--report-delay",
        type=_seconds,
        default=DEFAULT_REPORT_DELAY,
        help=f"seconds until a report is ready (default {DEFAULT_REPORT_DELAY})",
    )
    parser.add_argument(
        "--daily-budget",
        type=_positive_int,
        default=DEFAULT_DAILY_BUDGET,
        help=f"requests per account per day (default {DEFAULT_DAILY_BUDGET})",
    )
    parser.add_argument(
        "--log-level",
        default="INFO",
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="stderr log level",
    )
    return parser


def banner(config: EmulatorConfig, base_url: str, spec: LoadedSpec | None = None) -> str:
    """What the emulator prints once it listens: where, which credentials, the env lines."""
    token_path = SpecSecurity(spec).token_path if spec is not None else TOKEN_PATH
    token_url = base_url + token_path
    env = (
        f"OAUTH_CLIENT_ID={config.client_id} OAUTH_CLIENT_SECRET={config.secret_value} "
        f"OAUTH_TOKEN_URL={token_url} API_BASE_URL={base_url}"
    )
    if spec is not None:
        env += f" OPENAPI_SPEC={config.spec_path}"
    generic = config.generic or spec is not None
    mode = "JSON, form and HTTP Basic" if generic else "JSON (as Ozon)"
    title = f"Emulator of {spec.title!r}" if spec is not None else "Ozon Performance emulator"
    return "\n".join(
        [
            f"{title} listening on {base_url}",
            f"  token endpoint: {token_url} ({mode})",
            f"  client_id:      {config.client_id}",
            f"  client_secret:  {config.secret_value}",
            f"  control:        {base_url}/__emulator__/stats",
            "Point ozon-mcp at it with:",
            env,
            "Press Ctrl-C to stop.",
        ]
    )


def main(argv: list[str] | None = None, *, prog: str | None = None) -> int:
    """Run until Ctrl-C; 0 on a clean stop, 1 if the emulator could not start, 2 on bad usage.

    `prog` names the command in usage messages (`ozon-mcp emulator` when delegated to)."""
    parser = build_parser(prog) if prog else build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=args.log_level,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        config = EmulatorConfig(
            client_id=args.client_id,
            client_secret=args.client_secret,
            expires_in=args.expires_in,
            generic=args.generic,
            report_delay=args.report_delay,
            daily_budget=args.daily_budget,
            host=args.host,
            port=args.port,
            spec_path=args.spec,
        )
        spec = load_spec(args.spec) if args.spec else None
    except (ValueError, ConfigurationError) as exc:
        parser.error(str(exc))  # exits with status 2

    def ready(base_url: str, control: EmulatorControl) -> None:
        print(banner(config, base_url, spec), flush=True)

    try:
        serve_forever(config, ready, spec)
    except EmulatorStartError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass  # uvicorn has already shut down gracefully; Ctrl-C is the normal way to stop
    print("emulator stopped", file=sys.stderr)
    return 0
