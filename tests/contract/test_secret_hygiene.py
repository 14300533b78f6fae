"""Secret hygiene, proven: with generated secrets, at LOG_LEVEL=DEBUG, while the emulator echoes
everything it receives (bodies, headers, a redirect's Location, the bearer), neither the client
secret nor any issued token appears, in any encoding, in what the product shows or writes:
tool results, exceptions, every log record of every logger, every stderr line of `ozon-mcp
serve`.

One emulator (generic mode, its accepted secret changed per example) serves every example. The
flows mix the fault-matrix rows that carry the secret back (echoing 503, redirect, 400, a
token-less 200, API 502/200 echoing the bearer) with the end-to-end flow (a token, calls, a
stale token replaced after a 401).
"""

from __future__ import annotations

import base64
import contextlib
import html
import io
import json
import logging
import re
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from urllib.parse import quote, quote_plus

import anyio
import httpx2
import pytest
from dependency_injector import providers
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from mcp.types import CallToolResult
from mcp_support import (
    McpSession,
    emulator_settings,
    mcp_session,
    result_text,
    stdio_serve,
    subprocess_env,
)
from pydantic import SecretStr

from ozon_mcp.adapters.emulator import (
    EmulatorConfig,
    EmulatorHandle,
    ScriptedResponse,
    start_emulator,
)
from ozon_mcp.adapters.openapi.spec import LoadedSpec
from ozon_mcp.app.container import Container
from ozon_mcp.app.logging_setup import configure_logging
from ozon_mcp.app.runtime import build_container
from ozon_mcp.domain.retry import RetryPolicy

PROBE = "GetLimitsList"
COOL_DOWN = 0.3
HYGIENE_RETRY = RetryPolicy(
    base=0.01, cap=0.02, max_retries=3, exhausted_cooldown=COOL_DOWN, permanent_cooldown=COOL_DOWN
)
LIBRARY_LOGGERS = ("httpx", "httpx2", "httpcore", "httpcore2", "uvicorn", "mcp")

SPECIALS = "\"'%&=</\\+ #?é✓秘"
secrets_strategy = st.text(
    st.one_of(
        st.sampled_from(SPECIALS),
        st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zs", "Zl", "Zp")),
    ),
    min_size=16,
    max_size=40,
).filter(lambda s: s.strip() == s and len(set(s)) >= 6 and sum(c in SPECIALS for c in s) >= 3)
formats = st.sampled_from([("json", "post"), ("form", "post"), ("form", "basic")])
NASTY = "q\"u'o%te&k=v</script>é✓秘密+/=="


# --- what counts as a leak ---------------------------------------------------------------------


def encodings(value: str, client_id: str) -> set[str]:
    """Every form in which `value` could leak: raw, percent-encoded (upper and lower case),
    form-encoded, JSON-escaped (with and without \\/ and \\uXXXX), base64, inside HTTP Basic
    credentials, and HTML entities."""
    percent = quote(value, safe="")
    json_ascii = json.dumps(value)[1:-1]
    json_utf8 = json.dumps(value, ensure_ascii=False)[1:-1]
    raw = value.encode("utf-8")
    basic_pair = f"{quote_plus(client_id, safe='')}:{quote_plus(value, safe='')}".encode()
    forms = {
        value,
        percent,
        re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), percent),
        quote_plus(value, safe=""),
        json_ascii,
        json_utf8,
        json_ascii.replace("/", "\\/"),
        json_utf8.replace("/", "\\/"),
        base64.b64encode(raw).decode(),
        base64.urlsafe_b64encode(raw).decode(),
        base64.b64encode(raw).decode().rstrip("="),
        base64.b64encode(basic_pair).decode(),
        html.escape(value),
        html.escape(value, quote=False),
    }
    return {form for form in forms if len(form) >= 8}


def leaks(texts: list[str], values: list[str], client_id: str) -> list[str]:
    """Which (value, encoding) pairs appear in which text; empty when nothing leaked."""
    found = []
    for value in values:
        for form in encodings(value, client_id):
            for text in texts:
                if form in text:
                    at = text.index(form)
                    found.append(
                        f"{form!r} (of {value[:12]!r}...) in ...{text[max(0, at - 80) : at + 80]!r}"
                    )
                    break
    return found


def assert_echo_carries(emulator: EmulatorHandle, secret: str, client_id: str) -> None:
    """The control experiment: an echoing answer, fetched directly, does carry the secret in
    forms `leaks` detects (so a clean result above means scrubbed, not never sent)."""
    emulator.control.script_token_responses(echoing_token_faults(emulator.base_url))
    body = {"client_id": client_id, "client_secret": secret, "grant_type": "client_credentials"}
    texts = []
    for _ in range(2):
        answer = httpx2.post(emulator.token_url, data=body)  # form: the secret form-encoded
        texts += [answer.text, *answer.headers.values()]
    assert leaks(texts, [secret], client_id)


# --- capturing -----------------------------------------------------------------------------------


class Collector(logging.Handler):
    """Every record of every logger, as text: message, traceback and every structured field."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self.renderer = logging.Formatter("%(levelname)s %(name)s %(message)s")

    def emit(self, record: logging.LogRecord) -> None:
        if record.threadName and record.threadName.startswith("ozon-emulator"):
            return  # the emulator's own lines (it is the other side, not the product)
        self.records.append(record)

    def texts(self) -> list[str]:
        texts = []
        for record in self.records:
            texts.append(self.renderer.format(record))
            texts.append(repr(record.__dict__))
        return texts


@contextlib.contextmanager
def product_debug_logging() -> Iterator[tuple[io.StringIO, Collector]]:
    """The product's own logging set-up at DEBUG (its handler writing to a buffer instead of
    stderr), plus a collector of every record after it; everything is restored afterwards."""
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    saved_levels = {name: logging.getLogger(name).level for name in LIBRARY_LOGGERS}
    stream = io.StringIO()
    with contextlib.redirect_stderr(stream):
        configure_logging("DEBUG")
    collector = Collector()
    root.addHandler(collector)
    try:
        yield stream, collector
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in saved_handlers:
            root.addHandler(handler)
        root.setLevel(saved_level)
        for name, level in saved_levels.items():
            logging.getLogger(name).setLevel(level)


# --- the flows -----------------------------------------------------------------------------------


def echoing_token_faults(base_url: str) -> list[ScriptedResponse]:
    """Token answers that carry the request (the secret) back in every way the emulator can."""
    return [
        ScriptedResponse(
            status=503,
            echo=True,
            json={"error": "temporarily_unavailable", "error_description": "you sent {echo}"},
            headers={"WWW-Authenticate": 'Basic realm="{echo}"'},
        ),
        ScriptedResponse(status=302, echo=True, headers={"Location": base_url + "/x?{echo}"}),
    ]


async def echo_flow(emulator: EmulatorHandle, session: McpSession, *, cool_down: float) -> None:
    """The echoing faults, then the end-to-end flow; the token faults are queued already."""
    control = emulator.control
    await session.call(PROBE)  # 503 then a redirect: an error quoting the Location
    await anyio.sleep(cool_down)
    control.script_token_responses(
        [
            ScriptedResponse(status=200, echo=True, json={"message": "{echo}"}),
        ]
    )
    await session.call(PROBE)  # a 200 without a token, echoing the request
    await anyio.sleep(cool_down)
    await session.call(PROBE)  # healthy: the first token
    control.set_operation_fault(PROBE, status=502, echo=True, count=1)
    await session.call(PROBE)  # the API echoes the bearer in an error
    control.set_operation_fault(PROBE, status=200, echo=True, count=1)
    await session.call(PROBE)  # ... and in a success
    control.revoke_all_tokens()
    await session.call(PROBE)  # 401, one new token, the call succeeds
    control.set_operation_fault(PROBE, status=502, echo=True, count=1)
    await session.call(PROBE)
    await session.call("auth_status")
    control.script_token_responses(
        [
            ScriptedResponse(
                status=400,
                echo=True,
                json={"error": "invalid_request", "error_description": "bad: {echo}"},
            )
        ]
    )
    control.revoke_all_tokens()
    await session.call(PROBE)  # 401, then a refusal echoing the request


async def in_process_flow(
    emulator: EmulatorHandle, secret: str, request_format: str, client_auth: str
) -> tuple[list[CallToolResult], list[str]]:
    """The flows through the real container over an in-memory MCP session; returns the
    results and the text of every exception that escaped."""
    emulator.control.clear_faults()
    emulator.control.set_client_secret(secret)
    settings_ = emulator_settings(
        emulator,
        oauth_client_secret=SecretStr(secret),
        oauth_token_request_format=request_format,
        oauth_client_auth=client_auth,
        log_level="DEBUG",
    )
    container = Container(settings=settings_)
    container.retry_policy.override(providers.Object(HYGIENE_RETRY))
    emulator.control.script_token_responses(echoing_token_faults(emulator.base_url))
    escaped: list[str] = []
    results: list[CallToolResult] = []
    try:
        async with mcp_session(settings_, container=container) as session:
            await echo_flow(emulator, session, cool_down=COOL_DOWN + 0.1)
            results = session.results
    except Exception as exc:  # any escaping exception is evidence too
        escaped.append(f"{exc!s} {exc!r}")
        raise
    return results, escaped


@pytest.fixture(scope="module")
def shared_emulator(ozon_spec: LoadedSpec) -> Iterator[EmulatorHandle]:
    handle = start_emulator(EmulatorConfig(generic=True, report_delay=0.2), spec=ozon_spec)
    try:
        yield handle
    finally:
        handle.stop()


def _shown(results: list[CallToolResult]) -> list[str]:
    texts = []
    for result in results:
        texts.append(result_text(result))
        if result.structured_content is not None:
            texts.append(json.dumps(result.structured_content, ensure_ascii=False))
    return texts


# No shrinking: each example runs whole flows, and a leak report names the text already.
PHASES = (Phase.explicit, Phase.generate)
HYPOTHESIS = settings(
    max_examples=10,
    deadline=None,
    phases=PHASES,
    database=None,
    suppress_health_check=list(HealthCheck),
)


@HYPOTHESIS
@example(secret=NASTY, wire=("form", "basic"))
@given(secret=secrets_strategy, wire=formats)
def test_tool_results_and_errors_never_show_the_secret_or_a_token(
    shared_emulator: EmulatorHandle, secret: str, wire: tuple[str, str]
) -> None:
    results, escaped = anyio.run(in_process_flow, shared_emulator, secret, *wire)
    tokens = shared_emulator.control.issued_tokens()
    assert len(results) == 9
    assert results[0].is_error
    assert "redirect" in result_text(results[0])
    assert not results[2].is_error, result_text(results[2])  # the first token worked
    client_id = shared_emulator.config.client_id
    assert_echo_carries(shared_emulator, secret, client_id)
    assert leaks([*_shown(results), *escaped], [secret, *tokens], client_id) == []


Call = Callable[[str], Awaitable[CallToolResult]]


def prepare_serve_flow(emulator: EmulatorHandle, secret: str) -> list[ScriptedResponse]:
    """Accept `secret`, queue two echoing 503s for the first token requests; returns the
    echoing faults for later."""
    control = emulator.control
    control.clear_faults()
    control.set_client_secret(secret)
    faults = echoing_token_faults(emulator.base_url)
    # Transient only before the first token (a redirect would cool down for 5 s by default).
    control.script_token_responses([faults[0], faults[0]])
    return faults


async def serve_flow(
    emulator: EmulatorHandle, faults: list[ScriptedResponse], call: Call
) -> list[CallToolResult]:
    """The flows with the default retry schedule, as `ozon-mcp serve` runs them: the transient
    echoes are retried, the API echoes the bearer, a stale token is replaced, and the redirect
    quoting the request comes last."""
    control = emulator.control
    results = [await call(PROBE)]  # after two echoing 503s
    control.set_operation_fault(PROBE, status=502, echo=True, count=1)
    results.append(await call(PROBE))
    control.set_operation_fault(PROBE, status=200, echo=True, count=1)
    results.append(await call(PROBE))
    control.revoke_all_tokens()
    results.append(await call(PROBE))  # 401, a new token
    results.append(await call("auth_status"))
    control.script_token_responses(faults[1:])
    control.revoke_all_tokens()
    results.append(await call(PROBE))  # 401, then the redirect
    return results


async def in_process_serve_flow(
    emulator: EmulatorHandle, secret: str, wire: tuple[str, str]
) -> list[CallToolResult]:
    """`serve_flow` on a container built as `serve` builds it (which wires the product's log
    scrubbing, where the product has it), over an in-memory MCP session."""
    faults = prepare_serve_flow(emulator, secret)
    request_format, client_auth = wire
    settings_ = emulator_settings(
        emulator,
        oauth_client_secret=SecretStr(secret),
        oauth_token_request_format=request_format,
        oauth_client_auth=client_auth,
        log_level="DEBUG",
    )
    container = build_container(settings_)
    async with mcp_session(settings_, container=container) as session:
        return await serve_flow(emulator, faults, session.call)


@HYPOTHESIS
@example(secret=NASTY, wire=("form", "basic"))
@given(secret=secrets_strategy, wire=formats)
def test_debug_log_records_of_every_logger_never_show_the_secret_or_a_token(
    shared_emulator: EmulatorHandle, secret: str, wire: tuple[str, str]
) -> None:
    with product_debug_logging() as (stream, collector):
        results = anyio.run(in_process_serve_flow, shared_emulator, secret, wire)
    tokens = shared_emulator.control.issued_tokens()
    client_id = shared_emulator.config.client_id
    assert not results[0].is_error, result_text(results[0])
    assert collector.records, "nothing was logged at DEBUG"
    # The product's handler wrote the emulator's lines too (one process); the collector leaves
    # them out, and the stdio test below checks a handler's output on its own.
    found = leaks(collector.texts(), [secret, *tokens], client_id)
    assert found == [], "\n".join(found[:5])
    assert stream.getvalue()


async def stdio_flow(
    emulator: EmulatorHandle,
    secret: str,
    wire: tuple[str, str],
    log_format: str,
    stderr_path: Path,
) -> list[CallToolResult]:
    """`serve_flow` against `ozon-mcp serve` over stdio at LOG_LEVEL=DEBUG."""
    faults = prepare_serve_flow(emulator, secret)
    request_format, client_auth = wire
    env = subprocess_env(
        {
            **emulator.env(),
            "OAUTH_CLIENT_SECRET": secret,
            "OAUTH_TOKEN_REQUEST_FORMAT": request_format,
            "OAUTH_CLIENT_AUTH": client_auth,
            "LOG_LEVEL": "DEBUG",
            "LOG_FORMAT": log_format,
        }
    )
    async with stdio_serve(env, stderr_path) as client:

        async def call(name: str) -> CallToolResult:
            return await client.call_tool(name, {})

        return await serve_flow(emulator, faults, call)


@settings(
    max_examples=4,
    deadline=None,
    phases=PHASES,
    database=None,
    suppress_health_check=list(HealthCheck),
)
@example(secret=NASTY, wire=("json", "post"), log_format="json")
@given(secret=secrets_strategy, wire=formats, log_format=st.sampled_from(["text", "json"]))
def test_stdio_serve_at_debug_never_writes_the_secret_or_a_token_to_stderr(
    shared_emulator: EmulatorHandle,
    tmp_path_factory: pytest.TempPathFactory,
    secret: str,
    wire: tuple[str, str],
    log_format: str,
) -> None:
    stderr_path = tmp_path_factory.mktemp("stdio") / "stderr.log"
    results = anyio.run(stdio_flow, shared_emulator, secret, wire, log_format, stderr_path)
    stderr = stderr_path.read_text(encoding="utf-8")
    tokens = shared_emulator.control.issued_tokens()
    assert not results[0].is_error, result_text(results[0])
    assert "DEBUG" in stderr
    assert "serving" in stderr
    client_id = shared_emulator.config.client_id
    found = leaks([*stderr.splitlines(), *_shown(results)], [secret, *tokens], client_id)
    assert found == [], "\n".join(found[:5])


@pytest.mark.anyio
async def test_a_replaced_but_still_valid_token_is_never_shown(emulator: EmulatorHandle) -> None:
    control = emulator.control
    async with mcp_session(emulator_settings(emulator)) as session:
        assert not (await session.call(PROBE)).is_error
        [replaced] = control.issued_tokens()
        control.set_operation_fault(PROBE, status=401, count=1)  # replaced, yet still valid
        assert not (await session.call(PROBE)).is_error
        assert len(control.issued_tokens()) == 2
        body = json.dumps({"limits": [], "debug": f"previous token {replaced}"}).encode()
        control.set_operation_fault(PROBE, status=200, body=body, count=1)
        await session.call(PROBE)
        shown = _shown(session.results)
    client_id = emulator.config.client_id
    found = leaks(shown, [replaced], client_id)
    assert found == [], "\n".join(found[:3])
