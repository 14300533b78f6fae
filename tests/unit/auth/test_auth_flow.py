"""The bearer flow shared by every client: authorize, and recover once from a 401."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from auth_support import token_value

from ozon_mcp.adapters.auth.flow import (
    Accepted,
    Invalidate,
    NeedToken,
    Send,
    authorized,
    bearer_flow,
)
from ozon_mcp.domain import AccessToken


@dataclass
class FakeRequest:
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class FakeResponse:
    status_code: int


def test_a_request_carries_the_bearer_token() -> None:
    request = FakeRequest()
    assert authorized(request, _token_of("tok-A")) is request
    assert request.headers["Authorization"] == "Bearer tok-A"


@pytest.mark.parametrize("status", [200, 204, 400, 403, 404, 500])
def test_only_a_401_triggers_recovery(status: int) -> None:
    flow = bearer_flow(FakeRequest(), _token_of("tok-A"), FakeResponse(status))
    with pytest.raises(StopIteration):
        next(flow)


def test_a_401_invalidates_exactly_the_rejected_token_and_retries_once() -> None:
    request = FakeRequest()
    rejected, fresh = _token_of("tok-A"), _token_of("tok-B")
    flow = bearer_flow(request, rejected, FakeResponse(401))
    assert next(flow) == Invalidate(rejected.fingerprint)
    assert flow.send(None) == NeedToken()
    assert flow.send(fresh) == Send(request)
    assert request.headers["Authorization"] == "Bearer tok-B"
    # A second 401 is reported (the lifecycle then stops replacing) and returned, never a loop.
    assert flow.send(FakeResponse(401)) == Invalidate(fresh.fingerprint)
    with pytest.raises(StopIteration):
        flow.send(None)


def test_a_retry_that_succeeds_reports_the_replacement_accepted() -> None:
    rejected, fresh = _token_of("tok-A"), _token_of("tok-B")
    flow = bearer_flow(FakeRequest(), rejected, FakeResponse(401))
    next(flow)
    flow.send(None)
    flow.send(fresh)
    assert flow.send(FakeResponse(200)) == Accepted(fresh.fingerprint)
    with pytest.raises(StopIteration):
        flow.send(None)


def test_no_retry_when_the_token_endpoint_hands_out_the_same_token_again() -> None:
    flow = bearer_flow(FakeRequest(), _token_of("tok-A"), FakeResponse(401))
    next(flow)
    flow.send(None)
    with pytest.raises(StopIteration):
        flow.send(_token_of("tok-A"))


def test_a_driver_that_answers_the_wrong_thing_is_told_so() -> None:
    flow = bearer_flow(FakeRequest(), _token_of("tok-A"), FakeResponse(401))
    next(flow)
    flow.send(None)
    with pytest.raises(TypeError, match="AccessToken"):
        flow.send(FakeResponse(200))
    flow = bearer_flow(FakeRequest(), _token_of("tok-A"), FakeResponse(401))
    next(flow)
    flow.send(None)
    flow.send(_token_of("tok-B"))
    with pytest.raises(TypeError, match="response"):
        flow.send(None)


def _token_of(raw: str) -> AccessToken:
    return token_value(raw)
