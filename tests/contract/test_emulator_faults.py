"""Fault injection: scripted token answers, dropped connections, latency, per-operation faults."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx2
import pytest

from ozon_mcp.adapters.emulator import (
    Delivery,
    EmulatorConfig,
    EmulatorHandle,
    RandomTokenFaults,
    ScriptedResponse,
)

# One emulator for the module, reset before each test (see conftest).
SHARED_EMULATOR = True

TokenBody = Callable[[EmulatorConfig], dict[str, str]]


def get_token(emulator: EmulatorHandle, body: TokenBody) -> httpx2.Response:
    return httpx2.post(emulator.token_url, json=body(emulator.config))


def test_scripted_token_responses_are_served_in_order_then_normal_ones(
    emulator: EmulatorHandle, token_request_body: TokenBody
) -> None:
    emulator.control.script_token_responses(
        [
            ScriptedResponse(status=503, headers={"Retry-After": "2"}, body=b'{"error":"busy"}'),
            ScriptedResponse(status=429, json={"error": "slow down"}),
        ]
    )

    first = get_token(emulator, token_request_body)
    second = get_token(emulator, token_request_body)
    third = get_token(emulator, token_request_body)

    assert (first.status_code, first.headers["retry-after"], first.json()) == (
        503,
        "2",
        {"error": "busy"},
    )
    assert (second.status_code, second.json()) == (429, {"error": "slow down"})
    assert third.status_code == 200
    assert "access_token" in third.json()
    assert emulator.control.token_requests == 3
    assert emulator.control.tokens_issued == 1


@pytest.mark.parametrize(
    "scripted",
    [
        ScriptedResponse(json={"access_token": "abc", "token_type": "Bearer"}),
        ScriptedResponse(json={"access_token": "abc", "expires_in": "1800.0"}),
        ScriptedResponse(json={"expires_in": 1800, "token_type": "Bearer"}),
        ScriptedResponse(body=b"<html><body>Bad Gateway</body></html>", content_type="text/html"),
        ScriptedResponse(body=b'{"access_token": "abc", "expires_in": 18', status=200),
        ScriptedResponse(body=b"\xff\xfe\x00garbage"),
    ],
)
def test_odd_token_bodies_are_sent_verbatim(
    emulator: EmulatorHandle, token_request_body: TokenBody, scripted: ScriptedResponse
) -> None:
    emulator.control.script_token_responses([scripted])

    response = get_token(emulator, token_request_body)

    expected_body, expected_type = scripted.render()
    assert response.status_code == scripted.status
    assert response.content == expected_body
    assert response.headers["content-type"].startswith(expected_type)


def test_scripted_body_can_carry_a_freshly_minted_valid_token(
    emulator: EmulatorHandle, token_request_body: TokenBody
) -> None:
    emulator.control.script_token_responses(
        [ScriptedResponse(json={"expires_in": "1800.0"}, mint_access_token=True)]
    )

    body = get_token(emulator, token_request_body).json()
    api = httpx2.get(
        emulator.base_url + "/api/client/campaign",
        headers={"Authorization": f"Bearer {body['access_token']}"},
    )

    assert body["expires_in"] == "1800.0"
    assert api.status_code == 200
    assert emulator.control.issued_tokens() == [body["access_token"]]


def test_token_connection_can_be_dropped_without_a_response(
    emulator: EmulatorHandle, token_request_body: TokenBody
) -> None:
    emulator.control.script_token_responses([ScriptedResponse(drop_connection=True)])

    with pytest.raises(httpx2.RemoteProtocolError):
        get_token(emulator, token_request_body)

    assert emulator.control.requests[-1].status is None
    assert get_token(emulator, token_request_body).status_code == 200


def test_token_latency_delays_answers(
    emulator: EmulatorHandle, token_request_body: TokenBody
) -> None:
    emulator.control.set_token_latency(0.3)
    started = time.monotonic()
    response = get_token(emulator, token_request_body)
    assert response.status_code == 200
    assert time.monotonic() - started >= 0.3


def test_operation_fault_with_status_body_headers_and_count(
    emulator: EmulatorHandle, api_client: httpx2.Client
) -> None:
    emulator.control.set_operation_fault(
        "ListCampaigns",
        status=429,
        body=b'{"error":"too many"}',
        headers={"Retry-After": "1"},
        count=2,
    )

    faulted = [api_client.get("/api/client/campaign") for _ in range(2)]
    healthy = api_client.get("/api/client/campaign")
    other = api_client.get("/api/client/limits/list")

    assert [(r.status_code, r.json(), r.headers["retry-after"]) for r in faulted] == [
        (429, {"error": "too many"}, "1")
    ] * 2
    assert healthy.status_code == 200
    assert other.status_code == 200


def test_operation_fault_without_count_lasts_until_cleared(
    emulator: EmulatorHandle, api_client: httpx2.Client
) -> None:
    emulator.control.set_operation_fault("GetLimitsList", status=500)

    statuses = [api_client.get("/api/client/limits/list").status_code for _ in range(3)]
    body = api_client.get("/api/client/limits/list").json()
    emulator.control.clear_faults()

    assert statuses == [500, 500, 500]
    assert "500" in body["error"]
    assert api_client.get("/api/client/limits/list").status_code == 200


def test_operation_latency_only_fault_still_answers_normally(
    emulator: EmulatorHandle, api_client: httpx2.Client
) -> None:
    emulator.control.set_operation_fault("ListCampaigns", status=None, latency=0.3, count=1)
    started = time.monotonic()
    response = api_client.get("/api/client/campaign")
    assert response.status_code == 200
    assert time.monotonic() - started >= 0.3


def test_operation_connection_can_be_dropped(
    emulator: EmulatorHandle, api_client: httpx2.Client
) -> None:
    emulator.control.set_operation_fault("ListCampaigns", drop_connection=True, count=1)
    with pytest.raises(httpx2.RemoteProtocolError):
        api_client.get("/api/client/campaign")
    assert emulator.control.requests[-1].status is None
    assert api_client.get("/api/client/campaign").status_code == 200


def test_operation_faults_apply_only_to_authenticated_calls(emulator: EmulatorHandle) -> None:
    emulator.control.set_operation_fault("ListCampaigns", status=503, count=1)
    anonymous = httpx2.get(emulator.base_url + "/api/client/campaign")
    assert anonymous.status_code == 401
    token = emulator.control.mint_token()
    faulted = httpx2.get(
        emulator.base_url + "/api/client/campaign", headers={"Authorization": f"Bearer {token}"}
    )
    assert faulted.status_code == 503


def test_unknown_operation_id_is_refused_with_suggestions(emulator: EmulatorHandle) -> None:
    with pytest.raises(ValueError, match="ListCampaigns"):
        emulator.control.set_operation_fault("ListCampaign", status=500)


@pytest.mark.parametrize(
    ("status", "latency", "count"),
    [(99, 0.0, None), (600, 0.0, None), (500, -1.0, None), (500, 0.0, 0)],
)
def test_nonsensical_faults_are_refused(
    emulator: EmulatorHandle, status: int, latency: float, count: int | None
) -> None:
    with pytest.raises(ValueError, match=r"status|latency|count"):
        emulator.control.set_operation_fault(
            "ListCampaigns", status=status, latency=latency, count=count
        )


def test_clear_faults_also_clears_token_script_and_latency(
    emulator: EmulatorHandle, token_request_body: TokenBody
) -> None:
    emulator.control.script_token_responses([ScriptedResponse(status=500)])
    emulator.control.set_token_latency(5)
    emulator.control.clear_faults()
    started = time.monotonic()
    assert get_token(emulator, token_request_body).status_code == 200
    assert time.monotonic() - started < 5


def test_a_scripted_body_can_be_gzipped_trickled_or_cut_short(
    emulator: EmulatorHandle, token_request_body: TokenBody
) -> None:
    document = {"access_token": "abc", "padding": "x" * 400}
    emulator.control.script_token_responses(
        [
            ScriptedResponse(json=document, delivery=Delivery(gzip=True)),
            ScriptedResponse(json=document, delivery=Delivery(trickle=0.05, chunk_size=100)),
            ScriptedResponse(json=document, delivery=Delivery(cut_after=50)),
        ]
    )

    compressed = get_token(emulator, token_request_body)
    started = time.monotonic()
    trickled = get_token(emulator, token_request_body)
    trickle_time = time.monotonic() - started
    with pytest.raises(httpx2.RemoteProtocolError):
        get_token(emulator, token_request_body)

    assert compressed.headers["content-encoding"] == "gzip"
    assert compressed.json() == document  # the client decompressed it
    assert trickled.json() == document
    assert trickle_time >= 0.2  # five 100-byte chunks, 0.05 s before each after the first
    assert get_token(emulator, token_request_body).status_code == 200


def test_an_echoing_answer_reflects_the_request_in_body_headers_and_location(
    emulator: EmulatorHandle, token_request_body: TokenBody
) -> None:
    emulator.control.script_token_responses(
        [
            ScriptedResponse(
                status=302,
                headers={"Location": "http://127.0.0.1:9/steal?{echo}"},
                json={"error": "invalid_client", "error_description": "got {echo}"},
                echo=True,
            )
        ]
    )
    secret = emulator.config.secret_value

    response = httpx2.post(
        emulator.token_url,
        json=token_request_body(emulator.config),
        headers={"Authorization": "Basic c2VjcmV0"},
    )

    assert secret in response.json()["error_description"]
    assert secret in response.headers["x-echo-body"]  # percent-encoding keeps the demo secret
    assert response.headers["x-echo-authorization"] == "Basic c2VjcmV0"
    assert secret in response.headers["location"]


def test_an_operation_fault_can_echo_the_bearer_token_and_use_any_content_type(
    emulator: EmulatorHandle, api_client: httpx2.Client, emulator_token: str
) -> None:
    emulator.control.set_operation_fault("GetLimitsList", status=502, echo=True, count=1)
    emulator.control.set_operation_fault(
        "ListCampaigns", status=200, body=b"<html>hi</html>", content_type="text/html", count=1
    )

    echoed = api_client.get("/api/client/limits/list")
    html = api_client.get("/api/client/campaign")

    assert echoed.status_code == 502
    assert emulator_token in echoed.json()["error"]
    assert echoed.headers["x-echo-authorization"] == f"Bearer {emulator_token}"
    assert html.headers["content-type"].startswith("text/html")
    assert html.text == "<html>hi</html>"


def test_random_token_faults_are_seeded_counted_and_cleared(
    emulator: EmulatorHandle, token_request_body: TokenBody
) -> None:
    emulator.control.set_random_token_faults(
        RandomTokenFaults(status_503=0.3, status_429=0.2, seed=7)
    )
    statuses = [get_token(emulator, token_request_body).status_code for _ in range(40)]
    drawn = emulator.control.random_token_faults_drawn()
    emulator.control.clear_faults()

    assert drawn == {"503": statuses.count(503), "429": statuses.count(429)}
    assert 5 <= drawn["503"] <= 20
    assert statuses.count(200) == emulator.control.tokens_issued
    assert get_token(emulator, token_request_body).status_code == 200
    with pytest.raises(ValueError, match="sum"):
        RandomTokenFaults(status_503=0.7, status_429=0.7)


def test_the_http_control_surface_arms_the_new_faults(
    emulator: EmulatorHandle, token_request_body: TokenBody
) -> None:
    control_url = emulator.base_url + "/__emulator__"
    scripted = {
        "responses": [
            {"status": 200, "json": {"access_token": "abc"}, "gzip": True},
            {"status": 200, "body": "x" * 300, "cut_after": 10},
            {"status": 503, "json": {"error": "{echo}"}, "echo": True, "latency": 0.1},
        ]
    }
    assert httpx2.post(control_url + "/token/script", json=scripted).json() == {"queued": 3}
    compressed = get_token(emulator, token_request_body)
    with pytest.raises(httpx2.RemoteProtocolError):
        get_token(emulator, token_request_body)
    echoed = get_token(emulator, token_request_body)
    random_faults = {"status_503": 1.0, "seed": 3}
    assert httpx2.post(control_url + "/token/random-faults", json=random_faults).is_success
    failing = get_token(emulator, token_request_body)
    stats = httpx2.get(control_url + "/stats").json()
    assert httpx2.delete(control_url + "/token/random-faults").is_success
    bad = httpx2.post(control_url + "/token/random-faults", json={"status_503": 2})

    assert compressed.headers["content-encoding"] == "gzip"
    assert compressed.json() == {"access_token": "abc"}
    assert emulator.config.secret_value in echoed.json()["error"]
    assert failing.status_code == 503
    assert stats["random_token_faults"] == {"503": 1}
    assert get_token(emulator, token_request_body).status_code == 200
    assert bad.status_code == 400
