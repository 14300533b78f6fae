"""The HTTP control surface under `/__emulator__/` (same effects as `handle.control`).

Bodies are JSON; a bad request answers 400 `{"error": "..."}`. Listed in the package docstring.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .control import EmulatorControl
from .errors import json_response
from .faults import Delivery, RandomTokenFaults, ScriptedResponse

CONTROL_PREFIX = "/__emulator__"

Handler = Callable[[EmulatorControl, dict[str, Any]], Any]


def control_routes(control: EmulatorControl) -> list[Route]:
    """The routes of the control surface (mounted under CONTROL_PREFIX)."""

    def endpoint(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def run(request: Request) -> Response:
            try:
                raw = await request.body()
                body = json.loads(raw) if raw.strip() else {}
                if not isinstance(body, dict):
                    raise ValueError("the body must be a JSON object")
                result = handler(control, body)
            except (ValueError, TypeError, KeyError) as exc:
                return json_response({"error": f"{type(exc).__name__}: {exc}"}, 400)
            return json_response({"ok": True} if result is None else result)

        return run

    table: list[tuple[str, str, Handler]] = [
        ("/requests", "GET", lambda c, b: {"requests": [r.to_json() for r in c.requests]}),
        ("/requests", "DELETE", lambda c, b: c.clear_requests()),
        ("/stats", "GET", lambda c, b: c.stats()),
        ("/operations", "GET", lambda c, b: {"operations": c.operation_ids}),
        ("/token/script", "POST", _script),
        ("/token/latency", "POST", lambda c, b: c.set_token_latency(_number(b, "seconds"))),
        ("/token/expires-in", "POST", lambda c, b: c.set_expires_in(int(b["seconds"]))),
        ("/token/random-faults", "POST", _random_faults),
        ("/token/random-faults", "DELETE", lambda c, b: c.set_random_token_faults(None)),
        ("/revoke", "POST", lambda c, b: {"revoked": c.revoke_all_tokens()}),
        ("/faults", "POST", _fault),
        ("/faults", "DELETE", lambda c, b: c.clear_faults()),
        ("/clock/advance", "POST", lambda c, b: c.advance_clock(_number(b, "seconds"))),
        ("/reports/delay", "POST", lambda c, b: c.set_report_delay(_number(b, "seconds"))),
        (
            "/reports/fail",
            "POST",
            lambda c, b: c.fail_next_reports(
                int(b.get("count", 1)), str(b.get("message", "report generation failed"))
            ),
        ),
        ("/budget", "POST", lambda c, b: c.set_daily_budget(int(b["daily_budget"]))),
        ("/budget", "DELETE", lambda c, b: c.reset_daily_budget()),
        ("/reset", "POST", lambda c, b: c.reset()),
    ]
    return [Route(path, endpoint(handler), methods=[method]) for path, method, handler in table]


def _number(body: dict[str, Any], name: str) -> float:
    value = body[name]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"'{name}' must be a number, got {value!r}")
    return float(value)


def _script(control: EmulatorControl, body: dict[str, Any]) -> dict[str, Any]:
    """`{"responses": [{"status", "headers", "body" | "body_base64" | "json", "content_type",
    "drop_connection", "mint_access_token", "latency", "echo", "gzip", "trickle", "chunk_size",
    "cut_after"}, ...]}`."""
    items = body["responses"]
    if not isinstance(items, list):
        raise ValueError("'responses' must be a list")
    scripted = []
    for item in items:
        raw: bytes | None = None
        if "body_base64" in item:
            raw = base64.b64decode(item["body_base64"], validate=True)
        elif "body" in item:
            raw = str(item["body"]).encode("utf-8")
        scripted.append(
            ScriptedResponse(
                status=int(item.get("status", 200)),
                headers={str(k): str(v) for k, v in (item.get("headers") or {}).items()},
                body=raw,
                json=item.get("json"),
                content_type=item.get("content_type"),
                drop_connection=bool(item.get("drop_connection", False)),
                mint_access_token=bool(item.get("mint_access_token", False)),
                latency=float(item.get("latency", 0.0)),
                delivery=_delivery(item),
                echo=bool(item.get("echo", False)),
            )
        )
    control.script_token_responses(scripted)
    return {"queued": len(scripted)}


def _delivery(item: dict[str, Any]) -> Delivery:
    """The `gzip`, `trickle`, `chunk_size` and `cut_after` members of a fault, as a Delivery."""
    cut = item.get("cut_after")
    return Delivery(
        gzip=bool(item.get("gzip", False)),
        trickle=float(item.get("trickle", 0.0)),
        chunk_size=int(item.get("chunk_size", 1024)),
        cut_after=None if cut is None else int(cut),
    )


def _random_faults(control: EmulatorControl, body: dict[str, Any]) -> None:
    """`{"status_503": 0.1, "status_429": 0.03, "timeout": 0.02, "retry_after": 1,
    "hang_seconds": 12, "seed": 0}`."""
    control.set_random_token_faults(
        RandomTokenFaults(
            status_503=float(body.get("status_503", 0.0)),
            status_429=float(body.get("status_429", 0.0)),
            timeout=float(body.get("timeout", 0.0)),
            retry_after=int(body.get("retry_after", 1)),
            hang_seconds=float(body.get("hang_seconds", 12.0)),
            seed=int(body.get("seed", 0)),
        )
    )


def _fault(control: EmulatorControl, body: dict[str, Any]) -> None:
    """`{"operation_id", "status", "latency", "body", "count", "headers", "drop_connection",
    "content_type", "echo", "gzip", "trickle", "chunk_size", "cut_after"}`."""
    raw = body.get("body")
    control.set_operation_fault(
        str(body["operation_id"]),
        status=None if body.get("status", 500) is None else int(body.get("status", 500)),
        latency=float(body.get("latency", 0.0)),
        body=None if raw is None else str(raw).encode("utf-8"),
        count=None if body.get("count") is None else int(body["count"]),
        headers={str(k): str(v) for k, v in (body.get("headers") or {}).items()},
        drop_connection=bool(body.get("drop_connection", False)),
        content_type=str(body.get("content_type", "application/json")),
        delivery=_delivery(body),
        echo=bool(body.get("echo", False)),
    )
