"""`ozon-mcp check`: prove, step by step, that the configuration can reach the API.

Each step prints OK or FAIL with what to fix; the exit code is 0 only when every step passed.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO

import anyio

from ozon_mcp.adapters.openapi import SpecError
from ozon_mcp.adapters.openapi.spec_errors import SpecLoadError
from ozon_mcp.app.api_profile import configuration_summary, credential_problems, profile_summary
from ozon_mcp.app.container import Container, container_open
from ozon_mcp.app.logging_setup import configure_logging, scrub_logs_with
from ozon_mcp.app.settings import EXIT_CONFIG, Settings
from ozon_mcp.domain.errors import ConfigurationError, OzonMcpError

EXIT_OK = 0
EXIT_FAILED = 1


@dataclass
class CheckReport:
    """Prints numbered steps and remembers whether any failed."""

    out: TextIO
    failed: bool = False
    step: int = 0

    def ok(self, title: str, detail: str = "") -> None:
        self.step += 1
        suffix = f": {detail}" if detail else ""
        print(f"[{self.step}] OK    {title}{suffix}", file=self.out, flush=True)

    def fail(self, title: str, detail: str) -> None:
        self.step += 1
        self.failed = True
        print(f"[{self.step}] FAIL  {title}: {detail}", file=self.out, flush=True)


def run_check(
    settings: Settings,
    *,
    probe: str | None = None,
    out: TextIO | None = None,
    container_factory: Callable[[Settings], Container] | None = None,
) -> int:
    """Run every check and print the outcome; returns the process exit code."""
    configure_logging("WARNING" if settings.log_level == "INFO" else settings.log_level)
    report = CheckReport(out or sys.stdout)
    problems = settings.connection_problems(credentials=False)  # the spec decides those
    if problems:
        report.fail("configuration", "; ".join(problems))
        return EXIT_CONFIG
    container = (container_factory or (lambda s: Container(settings=s)))(settings)
    scrub_logs_with(container.scrubber())
    try:
        container.tls_context()  # SSL_CERT_FILE/SSL_CERT_DIR that cannot be loaded
    except ConfigurationError as exc:
        report.fail("configuration", str(exc))
        return EXIT_CONFIG
    spec_problem: tuple[str, int] | None = None
    try:
        tools = container.tools()
        for tool in tools:
            tool.check_schemas()  # the server defers this to each tool's first call
        profile = container.profile()  # anyspec: the URLs and credentials the spec resolves
    except SpecLoadError as exc:  # the file itself is unusable: a configuration problem
        spec_problem = (str(exc), EXIT_CONFIG)
    except (SpecError, ConfigurationError) as exc:
        spec_problem = (str(exc), EXIT_FAILED)
    else:  # OAUTH_CLIENT_ID and OAUTH_CLIENT_SECRET only when an exposed tool needs a token
        missing = credential_problems(settings, profile)
        if missing:
            report.fail("configuration", "; ".join(missing))
            return EXIT_CONFIG
    report.ok("configuration", configuration_summary(settings))
    if spec_problem is not None:
        report.fail("OpenAPI spec", spec_problem[0])
        return spec_problem[1]
    spec = container.spec()
    repaired = f", {len(spec.repairs)} defects repaired (see the log)" if spec.repairs else ""
    resolved = profile_summary(profile)
    report.ok("OpenAPI spec", f"{spec.title}: {len(tools)} tools{repaired}{resolved}")
    probe_name = probe or settings.ozon_mcp_probe_operation
    anyio.run(_check_token_and_probe, container, probe_name, report)
    return EXIT_FAILED if report.failed else EXIT_OK


async def _check_token_and_probe(container: Container, probe: str, report: CheckReport) -> None:
    async with container_open(container):
        provider = container.active_token_provider()
        if provider is None:  # every exposed tool is open or uses an OPENAPI_CREDENTIAL_*
            report.ok("access token", "not used: no exposed tool needs an OAuth token")
        else:
            try:
                token = await provider.get_token()
            except OzonMcpError as exc:
                report.fail("access token", str(exc))
                return
            report.ok(
                "access token",
                f"{token.fingerprint}, expires_in {token.lifetime:.0f} s, "
                f"refresh in {token.refresh_at - token.obtained_at:.0f} s",
            )
        router = container.router()
        names = {tool.name for tool in container.tools()}
        if probe not in names:
            report.fail("probe", f"operation {probe!r} is not in the spec; pass --probe NAME")
            return
        result = await router.call(probe, {})
        text = result.content[0].text if result.content else ""  # type: ignore[union-attr]
        if result.is_error:
            report.fail(f"probe {probe}", text[:300])
        else:
            report.ok(f"probe {probe}", f"answered: {text[:120]!r}")
