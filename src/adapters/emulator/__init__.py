"""The built-in Ozon Performance API emulator: faithful, stateful, with fault injection.

It routes all operations of the bundled spec (`ozon_mcp.adapters.openapi.spec.load_spec`), checks
bearer tokens it issued at `POST /api/client/token`, validates parameters and JSON bodies against
the spec's schemas (400 naming the field), answers with the spec's example when it is valid, else an
instance synthesized from the response schema, and runs the statistics flow (submit -> status
NOT_STARTED/IN_PROGRESS/OK -> CSV, ZIP or JSON download) under the spec's limits: one report in
progress per account (429), 10 campaigns and 62 days per report (400), a daily request budget per
account (429 with Retry-After). JSON variants of the report submits live at `<path>/json`.

In-process use::

    from ozon_mcp.adapters.emulator import EmulatorConfig, ScriptedResponse, start_emulator
    handle = start_emulator(EmulatorConfig(report_delay=0.2))   # free port on 127.0.0.1
    handle.base_url, handle.token_url, handle.env()
    busy = ScriptedResponse(status=503, headers={"Retry-After": "2"})
    handle.control.script_token_responses([busy])
    handle.control.set_operation_fault("ListCampaigns", status=500, count=1)
    handle.control.requests                                      # list[RecordedRequest]
    handle.stop()
    # async code: `async with running_emulator(config) as handle: ...`

Standalone: `python -m ozon_mcp.adapters.emulator --port 8080 [--generic] ...` prints the URL, the
credentials and the env lines for `ozon-mcp serve`; Ctrl-C stops it.

Any other spec: `EmulatorConfig(spec_path=...)` / `--spec PATH` serves that spec instead (OpenAPI
3.x or Swagger 2.0): its routes and validation, its security (see `spec_security`: the token
endpoint at the path of its client-credentials tokenUrl, form bodies and HTTP Basic accepted,
tokens scoped as requested, 403 `insufficient_scope` for a token lacking an operation's scopes,
open operations open). `RecordedRequest.scope` shows the scopes of each token issued or presented.

HTTP control surface (JSON bodies; answers `{"ok": true}` unless noted, 400 `{"error"}` on bad
input; these requests are not recorded in the request log):

    GET    /__emulator__/requests         -> {"requests": [RecordedRequest as JSON, ...]}
    DELETE /__emulator__/requests         clear the log and the counters
    GET    /__emulator__/stats            -> counters (token_requests, api_calls, tokens_issued),
                                             settings, report states, budget used
    GET    /__emulator__/operations       -> {"operations": [operationId, ...]}
    POST   /__emulator__/token/script     {"responses": [{"status": 503, "headers": {...},
                                             "body": "text" | "body_base64": "..." | "json": {...},
                                             "content_type": "...", "drop_connection": false,
                                             "mint_access_token": false, "latency": 0,
                                             "echo": false, "gzip": false, "trickle": 0,
                                             "chunk_size": 1024, "cut_after": null}, ...]}
                                             -> {"queued": n}   ("{echo}" in a header or JSON
                                             string is replaced by what the request carried)
    POST   /__emulator__/token/latency    {"seconds": 0.5}
    POST   /__emulator__/token/expires-in {"seconds": 5}      lifetime of tokens issued from now
    POST   /__emulator__/token/random-faults {"status_503": 0.1, "status_429": 0.03, "timeout":
                                             0.02, "retry_after": 1, "hang_seconds": 12,
                                             "seed": 0}   random token faults (stats count them)
    DELETE /__emulator__/token/random-faults  stop them
    POST   /__emulator__/revoke           -> {"revoked": n}  every token issued so far
    POST   /__emulator__/faults           {"operation_id": "ListCampaigns", "status": 500,
                                             "latency": 0.0, "body": "...", "count": null,
                                             "headers": {...}, "drop_connection": false,
                                             "content_type": "application/json", "echo": false,
                                             "gzip": false, "trickle": 0, "chunk_size": 1024,
                                             "cut_after": null}
    DELETE /__emulator__/faults           clear operation faults, token script and latency
    POST   /__emulator__/clock/advance    {"seconds": 1800}  expire tokens, finish reports
    POST   /__emulator__/reports/delay    {"seconds": 0.1}
    POST   /__emulator__/reports/fail     {"count": 1, "message": "..."}  next reports -> ERROR
    POST   /__emulator__/budget           {"daily_budget": 5}
    DELETE /__emulator__/budget           forget today's counted calls
    POST   /__emulator__/reset            back to the state right after start (tests share
                                             one emulator and reset it between tests)
"""

from __future__ import annotations

from .config import EmulatorConfig
from .control import EmulatorControl
from .faults import Delivery, OperationFault, RandomTokenFaults, ScriptedResponse
from .requestlog import RecordedRequest
from .server import EmulatorHandle, EmulatorStartError, running_emulator, start_emulator
from .token_endpoint import TOKEN_PATH
from .tokens import read_claims

__all__ = [
    "TOKEN_PATH",
    "Delivery",
    "EmulatorConfig",
    "EmulatorControl",
    "EmulatorHandle",
    "EmulatorStartError",
    "OperationFault",
    "RandomTokenFaults",
    "RecordedRequest",
    "ScriptedResponse",
    "read_claims",
    "running_emulator",
    "start_emulator",
]
