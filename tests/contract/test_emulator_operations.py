"""Every operation of the spec, over real HTTP: valid calls answer 2xx with bodies valid against
the documented response schema; calls without a valid token answer 401; bad input answers 400
naming the field."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx2
import pytest

from ozon_mcp.adapters.emulator import EmulatorConfig, EmulatorHandle, start_emulator
from ozon_mcp.adapters.emulator.spec_index import Operation, OperationIndex
from ozon_mcp.adapters.emulator.synth import Synthesizer
from ozon_mcp.adapters.emulator.validation import SpecValidator
from ozon_mcp.adapters.openapi.spec import LoadedSpec, load_spec

SPEC = load_spec()
INDEX = OperationIndex(SPEC)
OPERATION_IDS = sorted(INDEX.by_id)
SPEC_OPERATION_IDS = sorted(op["operationId"] for _m, _p, _i, op in SPEC.operations())


@pytest.fixture(scope="module")
def shared_emulator() -> Iterator[EmulatorHandle]:
    # report_delay=0: every report is OK at once, so the one-in-progress limit never interferes.
    handle = start_emulator(EmulatorConfig(report_delay=0.0), spec=SPEC)
    try:
        yield handle
    finally:
        handle.stop()


@pytest.fixture(scope="module")
def client(
    shared_emulator: EmulatorHandle,
    token_request_body: Callable[[EmulatorConfig], dict[str, str]],
    bearer: Callable[[str], dict[str, str]],
) -> Iterator[httpx2.Client]:
    token = httpx2.post(
        shared_emulator.token_url, json=token_request_body(shared_emulator.config)
    ).json()["access_token"]
    with httpx2.Client(base_url=shared_emulator.base_url, headers=bearer(token)) as http:
        yield http


@pytest.fixture(scope="module")
def synth() -> Synthesizer:
    return Synthesizer(SPEC, SpecValidator(SPEC))


@pytest.fixture(scope="module")
def report_uuids(client: httpx2.Client) -> dict[str, str]:
    """A finished report of each family, for the operations that take a UUID."""
    stats = client.post(
        "/api/client/statistics",
        json={"campaigns": ["12558"], "dateFrom": "2024-03-01", "dateTo": "2024-03-05"},
    )
    vendor = client.post(
        "/api/client/vendors/statistics",
        json={"dateFrom": "2024-03-01", "dateTo": "2024-03-05", "type": "TRAFFIC_SOURCES"},
    )
    assert stats.status_code == vendor.status_code == 200, (stats.text, vendor.text)
    return {"statistics": stats.json()["UUID"], "vendor": vendor.json()["UUID"]}


def _as_query(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return [_as_query(item) for item in value]
    return str(value)


def valid_call(
    operation: Operation, synth: Synthesizer, uuids: dict[str, str]
) -> tuple[str, dict[str, Any], Any]:
    """Path, query and JSON body of a call that the spec says is valid."""
    path, query = operation.path, {}
    for param in operation.parameters:
        if param.name == "UUID":
            value: Any = uuids[operation.family]
        else:
            value = synth.instance(param.schema_pointer)
        if param.location == "path":
            path = path.replace("{" + param.name + "}", str(value))
        else:
            query[param.name] = _as_query(value)
    body = synth.instance(operation.body_pointer) if operation.body_pointer else None
    return path, query, body


def test_every_spec_operation_is_routed_from_the_spec() -> None:
    assert len(SPEC_OPERATION_IDS) == 40
    assert OPERATION_IDS == SPEC_OPERATION_IDS


@pytest.mark.parametrize("operation_id", OPERATION_IDS)
def test_valid_call_answers_2xx_with_a_body_valid_against_the_response_schema(
    operation_id: str,
    client: httpx2.Client,
    synth: Synthesizer,
    report_uuids: dict[str, str],
    response_schema_errors: Callable[[str, httpx2.Response], list[str]],
) -> None:
    operation = INDEX.by_id[operation_id]
    path, query, body = valid_call(operation, synth, report_uuids)

    response = client.request(operation.method, path, params=query, json=body)

    assert response.status_code == operation.response_status, response.text
    assert response_schema_errors(operation_id, response) == []


@pytest.mark.parametrize("operation_id", OPERATION_IDS)
def test_call_without_token_answers_401_in_ozon_style(
    operation_id: str, shared_emulator: EmulatorHandle, synth: Synthesizer
) -> None:
    operation = INDEX.by_id[operation_id]
    uuids = {"statistics": "00000000-0000-0000-0000-000000000000", "vendor": "x"}
    path, query, body = valid_call(operation, synth, uuids)

    response = httpx2.request(
        operation.method, shared_emulator.base_url + path, params=query, json=body
    )

    assert response.status_code == 401
    assert isinstance(response.json()["error"], str)
    assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "authorization",
    ["Bearer not-a-token", "Bearer", "Basic ZGVtbzpkZW1v", "bearer eyJ.eyJ.sig"],
)
def test_unusable_authorization_answers_401(
    shared_emulator: EmulatorHandle, authorization: str
) -> None:
    response = httpx2.get(
        shared_emulator.base_url + "/api/client/campaign",
        headers={"Authorization": authorization},
    )
    assert response.status_code == 401
    assert "error" in response.json()


def test_invalid_body_answers_400_naming_the_field(client: httpx2.Client) -> None:
    response = client.post("/api/client/min/sku", json={"sku": ["not-a-number"]})
    assert response.status_code == 400
    assert "sku[0]" in response.json()["error"]


def test_missing_required_body_field_answers_400_naming_it(client: httpx2.Client) -> None:
    response = client.post("/api/client/statistics", json={"dateFrom": "2024-01-01"})
    assert response.status_code == 400
    assert "'campaigns'" in response.json()["error"]


def test_body_that_is_not_json_answers_400(client: httpx2.Client) -> None:
    response = client.post(
        "/api/client/min/sku", content=b"sku=1", headers={"Content-Type": "text/plain"}
    )
    assert response.status_code == 400
    assert "application/json" in response.json()["error"]


@pytest.mark.parametrize(
    ("path", "query", "field"),
    [
        ("/api/client/campaign", {"page": "first"}, "page"),
        ("/api/client/campaign", {"state": "CAMPAIGN_STATE_BOGUS"}, "state"),
        ("/api/client/campaign", {"campaignIds": ["1", "x"]}, "campaignIds"),
        ("/api/client/organisation/vendor_tag", {}, "orgId"),
        ("/api/client/campaign/abc/objects", {}, "campaignId"),
        ("/api/client/statistics/campaign/media", {"from": "yesterday"}, "from"),
    ],
)
def test_invalid_parameter_answers_400_naming_it(
    client: httpx2.Client, path: str, query: dict[str, Any], field: str
) -> None:
    response = client.get(path, params=query)
    assert response.status_code == 400
    assert f"'{field}'" in response.json()["error"]


def test_array_query_parameter_accepts_repeated_and_comma_separated_forms(
    client: httpx2.Client,
) -> None:
    repeated = client.get("/api/client/campaign", params={"campaignIds": ["1", "2"]})
    comma = client.get("/api/client/campaign", params={"campaignIds": "1,2"})
    assert repeated.status_code == comma.status_code == 200


def test_literal_paths_win_over_templated_ones(client: httpx2.Client) -> None:
    # /statistics/list must not be read as a status check of report "list".
    response = client.get("/api/client/statistics/list")
    assert response.status_code == 200
    assert "items" in response.json()


def test_unknown_path_answers_404_and_wrong_method_405(client: httpx2.Client) -> None:
    missing = client.get("/api/client/nothing-here")
    wrong = client.delete("/api/client/campaign")
    assert missing.status_code == 404
    assert "error" in missing.json()
    assert wrong.status_code == 405
    assert wrong.headers["allow"] == "GET"


def test_spec_example_is_served_when_it_is_valid(
    client: httpx2.Client, ozon_spec: LoadedSpec
) -> None:
    example = ozon_spec.document["paths"]["/api/client/organisation/vendor_tag"]["get"]
    expected = example["responses"]["200"]["content"]["application/json"]["example"]
    response = client.get("/api/client/organisation/vendor_tag", params={"orgId": "42"})
    assert response.json() == expected


def test_invalid_spec_example_is_replaced_by_a_valid_instance_keeping_its_valid_parts(
    client: httpx2.Client,
) -> None:
    # The spec's ListCampaigns example has numeric ids and a single object instead of a list.
    campaigns = client.get("/api/client/campaign").json()["list"]
    assert isinstance(campaigns, list)
    assert campaigns[0]["id"] == "48949"
    assert campaigns[0]["title"] == "Баннерная кампания"
