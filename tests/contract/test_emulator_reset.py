"""`control.reset()` (and `POST /__emulator__/reset`): a used emulator becomes indistinguishable
from a fresh one, which is what lets contract tests share one emulator per module."""

from __future__ import annotations

from typing import Any

import httpx2
import pytest
from emulator_support import bearer, token_request_body

from ozon_mcp.adapters.emulator import (
    EmulatorConfig,
    EmulatorHandle,
    ScriptedResponse,
    start_emulator,
)
from ozon_mcp.adapters.openapi.spec import LoadedSpec

SHARED_EMULATOR = True
CONFIG = EmulatorConfig(expires_in=60, report_delay=5.0, daily_budget=50)
LIMITS = "/api/client/limits/list"


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    return CONFIG


def fresh_stats(spec: LoadedSpec) -> dict[str, Any]:
    with start_emulator(CONFIG, spec=spec) as fresh:
        return fresh.control.stats()


def token(emulator: EmulatorHandle) -> str:
    response = httpx2.post(emulator.token_url, json=token_request_body(emulator.config))
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def submit_report(emulator: EmulatorHandle, access: str) -> httpx2.Response:
    body = {"campaigns": ["1"], "from": "2024-01-01T00:00:00Z", "to": "2024-01-02T00:00:00Z"}
    return httpx2.post(
        f"{emulator.base_url}/api/client/statistics", json=body, headers=bearer(access)
    )


def use_everything(emulator: EmulatorHandle) -> str:
    """Change every piece of state the control surface can reach; returns the token used."""
    control = emulator.control
    access = token(emulator)
    assert submit_report(emulator, access).status_code == 200
    control.set_expires_in(5)
    control.set_token_latency(0.01)
    control.script_token_responses([ScriptedResponse(status=503)])
    control.set_operation_fault("GetLimitsList", status=500)
    control.set_report_delay(0.0)
    control.fail_next_reports(2)
    control.set_daily_budget(3)
    control.advance_clock(3600)
    return access


def test_reset_makes_a_used_emulator_look_fresh(
    emulator: EmulatorHandle, ozon_spec: LoadedSpec
) -> None:
    old = use_everything(emulator)
    assert emulator.control.stats() != fresh_stats(ozon_spec)
    emulator.control.reset()
    assert emulator.control.stats() == fresh_stats(ozon_spec)
    assert emulator.control.requests == []
    assert emulator.control.issued_tokens() == []
    # A token from before the reset is unknown now, as after a server restart.
    stale = httpx2.get(f"{emulator.base_url}{LIMITS}", headers=bearer(old))
    assert stale.status_code == 401
    # And everything works as configured: a token lives `expires_in`, reports take the delay.
    response = httpx2.post(emulator.token_url, json=token_request_body(emulator.config))
    assert response.json()["expires_in"] == CONFIG.expires_in
    access = response.json()["access_token"]
    assert httpx2.get(f"{emulator.base_url}{LIMITS}", headers=bearer(access)).status_code == 200
    report = submit_report(emulator, access)
    assert report.status_code == 200
    state = httpx2.get(
        f"{emulator.base_url}/api/client/statistics/{report.json()['UUID']}",
        headers=bearer(access),
    ).json()["state"]
    assert state != "OK"  # 5 s delay again, and the clock back at real time


def test_the_pool_hands_the_next_test_a_reset_emulator(emulator: EmulatorHandle) -> None:
    # The previous test left requests and tokens behind in this shared emulator.
    assert emulator.control.requests == []
    assert emulator.control.issued_tokens() == []
    assert emulator.control.stats()["clock_offset"] == 0.0
    use_everything(emulator)


def test_reset_over_http(emulator: EmulatorHandle, ozon_spec: LoadedSpec) -> None:
    use_everything(emulator)
    answer = httpx2.post(f"{emulator.base_url}/__emulator__/reset")
    assert answer.status_code == 200
    assert answer.json() == {"ok": True}
    assert emulator.control.stats() == fresh_stats(ozon_spec)
