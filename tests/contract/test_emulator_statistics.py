"""The statistics flow end to end and the limits of the spec's `Limits` tag."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from typing import Any

import httpx2
import pytest

from ozon_mcp.adapters.emulator import EmulatorConfig, EmulatorHandle

SchemaErrors = Callable[[str, httpx2.Response], list[str]]
# One emulator for the module, reset before each test (see conftest).
SHARED_EMULATOR = True
ONE_CAMPAIGN = {"campaigns": ["12558"], "dateFrom": "2024-03-01", "dateTo": "2024-03-03"}


def submit(
    client: httpx2.Client, body: dict[str, Any], path: str = "/api/client/statistics"
) -> httpx2.Response:
    return client.post(path, json=body)


def status(client: httpx2.Client, report_uuid: str) -> httpx2.Response:
    return client.get(f"/api/client/statistics/{report_uuid}")


def download(client: httpx2.Client, report_uuid: str) -> httpx2.Response:
    return client.get("/api/client/statistics/report", params={"UUID": report_uuid})


def test_report_goes_not_started_in_progress_ok_then_downloads_as_csv(
    emulator: EmulatorHandle, api_client: httpx2.Client, response_schema_errors: SchemaErrors
) -> None:
    body = {**ONE_CAMPAIGN, "groupBy": "DATE"}
    submitted = submit(api_client, body)
    report_uuid = submitted.json()["UUID"]

    first, second = status(api_client, report_uuid), status(api_client, report_uuid)
    early = download(api_client, report_uuid)
    emulator.control.advance_clock(emulator.config.report_delay)  # no real wait
    done = status(api_client, report_uuid)
    report = download(api_client, report_uuid)

    assert submitted.status_code == 200
    assert response_schema_errors("SubmitRequest", submitted) == []
    assert [first.json()["state"], second.json()["state"]] == ["NOT_STARTED", "IN_PROGRESS"]
    assert early.status_code == 409
    assert "not ready" in early.json()["error"]
    assert done.json()["state"] == "OK"
    assert done.json()["link"] == f"/api/client/statistics/report?UUID={report_uuid}"
    assert done.json()["request"]["campaigns"] == ["12558"]
    assert done.json()["kind"] == "STATS"
    for response in (first, second, done):
        assert response_schema_errors("StatisticsCheck", response) == []
    assert report.status_code == 200
    assert report.headers["content-type"] == "text/csv; charset=UTF-8"
    assert response_schema_errors("DownloadStatistics", report) == []
    lines = report.text.strip().splitlines()
    assert "12558" in lines[0]
    assert "01.03.2024-03.03.2024" in lines[0]
    assert lines[1].split(";")[0] == "Дата"
    assert [line.split(";")[0] for line in lines[2:-1]] == [
        "01.03.2024",
        "01.03.2024",
        "02.03.2024",
        "02.03.2024",
        "03.03.2024",
        "03.03.2024",
    ]
    assert lines[-1].startswith("Всего;")
    assert download(api_client, report_uuid).content == report.content  # reproducible


def test_report_nobody_polls_still_finishes_on_time(
    emulator: EmulatorHandle, api_client: httpx2.Client
) -> None:
    report_uuid = submit(api_client, ONE_CAMPAIGN).json()["UUID"]
    emulator.control.advance_clock(emulator.config.report_delay)
    assert status(api_client, report_uuid).json()["state"] == "OK"


def test_several_campaigns_download_as_zip_of_csv_per_campaign(
    emulator: EmulatorHandle, api_client: httpx2.Client
) -> None:
    body = {**ONE_CAMPAIGN, "campaigns": ["101", "102", "103"]}
    report_uuid = submit(api_client, body).json()["UUID"]
    emulator.control.advance_clock(1)

    report = download(api_client, report_uuid)

    assert report.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(report.content)) as archive:
        assert sorted(archive.namelist()) == ["101.csv", "102.csv", "103.csv"]
        assert "102" in archive.read("102.csv").decode("utf-8").splitlines()[0]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/client/statistics/json", {**ONE_CAMPAIGN, "campaigns": ["7", "8"]}),
        ("/api/client/statistics/video/json", ONE_CAMPAIGN),
        (
            "/api/client/statistics/orders/generate/json",
            {"from": "2024-03-01T00:00:00Z", "to": "2024-03-02T00:00:00Z"},
        ),
    ],
)
def test_json_variant_downloads_json(
    emulator: EmulatorHandle,
    api_client: httpx2.Client,
    response_schema_errors: SchemaErrors,
    path: str,
    body: dict[str, Any],
) -> None:
    report_uuid = submit(api_client, body, path).json()["UUID"]
    emulator.control.advance_clock(1)

    checked = status(api_client, report_uuid)
    report = download(api_client, report_uuid)

    assert checked.json()["state"] == "OK"
    assert response_schema_errors("StatisticsCheck", checked) == []
    assert report.headers["content-type"] == "application/json"
    document = report.json()
    assert set(document) == set(body.get("campaigns") or ["report"])
    for part in document.values():
        assert part["report"]["rows"]
        assert "totals" in part["report"]


def test_second_report_while_one_is_in_progress_gets_429(
    emulator: EmulatorHandle, api_client: httpx2.Client
) -> None:
    first = submit(api_client, ONE_CAMPAIGN).json()["UUID"]

    second = submit(api_client, ONE_CAMPAIGN, "/api/client/statistics/video")

    assert second.status_code == 429
    assert first in second.json()["error"]
    assert set(second.json()) == {"error"}
    assert int(second.headers["retry-after"]) >= 1
    emulator.control.advance_clock(emulator.config.report_delay)
    assert submit(api_client, ONE_CAMPAIGN).status_code == 200


def test_vendor_reports_are_not_bound_by_the_statistics_concurrency_limit(
    api_client: httpx2.Client,
) -> None:
    assert submit(api_client, ONE_CAMPAIGN).status_code == 200
    vendor = submit(
        api_client,
        {"dateFrom": "2024-03-01", "dateTo": "2024-03-31", "type": "ORDERS"},
        "/api/client/vendors/statistics",
    )
    assert vendor.status_code == 200
    assert vendor.json()["vendor"] is True


def test_at_most_ten_campaigns_per_report(api_client: httpx2.Client) -> None:
    eleven = submit(api_client, {**ONE_CAMPAIGN, "campaigns": [str(i) for i in range(1, 12)]})
    assert eleven.status_code == 400
    assert "'campaigns'" in eleven.json()["error"]
    assert "10" in eleven.json()["error"]
    ten = submit(api_client, {**ONE_CAMPAIGN, "campaigns": [str(i) for i in range(1, 11)]})
    assert ten.status_code == 200


@pytest.mark.parametrize(
    ("period", "allowed", "field"),
    [
        ({"dateFrom": "2024-01-01", "dateTo": "2024-03-02"}, True, "dateTo"),  # 62 days
        ({"dateFrom": "2024-01-01", "dateTo": "2024-03-03"}, False, "dateTo"),  # 63 days
        ({"from": "2024-01-01T00:00:00Z", "to": "2024-03-03T00:00:00Z"}, True, "to"),
        ({"from": "2024-01-01T00:00:00Z", "to": "2024-03-04T00:00:00Z"}, False, "to"),
    ],
)
def test_at_most_62_days_per_report(
    api_client: httpx2.Client, period: dict[str, str], allowed: bool, field: str
) -> None:
    response = submit(api_client, {"campaigns": ["1"], **period})
    if allowed:
        assert response.status_code == 200, response.text
    else:
        assert response.status_code == 400
        assert f"'{field}'" in response.json()["error"]
        assert "62" in response.json()["error"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"campaigns": ["1"]}, "dateFrom"),
        ({"campaigns": ["1"], "dateFrom": "2024-01-01"}, "dateTo"),
        ({"campaigns": ["1"], "dateFrom": "2024-01-05", "dateTo": "2024-01-01"}, "dateTo"),
        ({"campaigns": ["1"], "dateFrom": "01.01.2024", "dateTo": "2024-01-02"}, "dateFrom"),
        ({"campaigns": [], "dateFrom": "2024-01-01", "dateTo": "2024-01-02"}, "campaigns"),
    ],
)
def test_bad_report_periods_and_campaigns_get_400_naming_the_field(
    api_client: httpx2.Client, body: dict[str, Any], field: str
) -> None:
    response = submit(api_client, body)
    assert response.status_code == 400
    assert f"'{field}'" in response.json()["error"]


def test_unknown_report_is_404_as_documented(api_client: httpx2.Client) -> None:
    missing = download(api_client, "0c159c60-ab92-46d9-9a6b-d225dbf5c7b1")
    assert (missing.status_code, missing.json()) == (404, {"error": "report not found"})
    assert status(api_client, "0c159c60-ab92-46d9-9a6b-d225dbf5c7b1").status_code == 404
    assert api_client.get("/api/client/statistics/report").status_code == 400


def test_failed_report_ends_in_error(emulator: EmulatorHandle, api_client: httpx2.Client) -> None:
    emulator.control.fail_next_reports(1, "upstream storage unavailable")
    report_uuid = submit(api_client, ONE_CAMPAIGN).json()["UUID"]
    emulator.control.advance_clock(1)

    checked = status(api_client, report_uuid).json()
    failed_download = download(api_client, report_uuid)

    assert checked["state"] == "ERROR"
    assert checked["error"] == "upstream storage unavailable"
    assert "link" not in checked
    assert failed_download.status_code == 409


def test_vendor_report_flow_and_listing(
    emulator: EmulatorHandle, api_client: httpx2.Client, response_schema_errors: SchemaErrors
) -> None:
    body = {"dateFrom": "2024-01-01", "dateTo": "2024-12-31", "type": "TRAFFIC_SOURCES"}
    report_uuid = submit(api_client, body, "/api/client/vendors/statistics").json()["UUID"]
    emulator.control.advance_clock(1)

    checked = api_client.get(
        f"/api/client/vendors/statistics/{report_uuid}", params={"vendor": "true"}
    )
    listed = api_client.get("/api/client/vendors/statistics/list")
    report = download(api_client, report_uuid)

    assert checked.json()["state"] == "OK"
    assert response_schema_errors("VendorStatisticsCheck", checked) == []
    assert [item["meta"]["UUID"] for item in listed.json()["items"]] == [report_uuid]
    assert response_schema_errors("VendorStatisticsListReports", listed) == []
    # Cut to three months from dateFrom, as the spec says.
    assert "01.01.2024-01.04.2024" in report.text.splitlines()[0]
    # A vendor report is not a statistics report and vice versa.
    assert status(api_client, report_uuid).status_code == 404


def test_api_reports_are_listed_newest_first_with_paging(
    emulator: EmulatorHandle, api_client: httpx2.Client, response_schema_errors: SchemaErrors
) -> None:
    uuids = []
    for campaign in ("1", "2", "3"):
        uuids.append(submit(api_client, {**ONE_CAMPAIGN, "campaigns": [campaign]}).json()["UUID"])
        emulator.control.advance_clock(1)

    everything = api_client.get("/api/client/statistics/externallist")
    page_two = api_client.get(
        "/api/client/statistics/externallist", params={"page": 2, "pageSize": 2}
    )

    assert [i["meta"]["UUID"] for i in everything.json()["items"]] == uuids[::-1]
    assert everything.json()["total"] == "3"
    assert [i["meta"]["UUID"] for i in page_two.json()["items"]] == [uuids[0]]
    assert response_schema_errors("ListReportsExternal", everything) == []


@pytest.mark.parametrize("emulator_config", [EmulatorConfig(daily_budget=3, report_delay=0)])
def test_daily_budget_then_every_call_gets_429_until_the_next_day(
    emulator: EmulatorHandle, api_client: httpx2.Client, token_request_body: Any
) -> None:
    allowed = [api_client.get("/api/client/campaign").status_code for _ in range(3)]
    refused = [
        api_client.get("/api/client/campaign"),
        api_client.get("/api/client/limits/list"),
        submit(api_client, ONE_CAMPAIGN),
    ]
    token = httpx2.post(emulator.token_url, json=token_request_body(emulator.config))

    assert allowed == [200, 200, 200]
    assert [r.status_code for r in refused] == [429, 429, 429]
    assert "daily request limit" in refused[0].json()["error"]
    retry_after = int(refused[0].headers["retry-after"])
    assert 1 <= retry_after <= 86_400
    assert token.status_code == 200  # the token endpoint is not an API call
    emulator.control.advance_clock(retry_after)
    # The next Moscow day: the budget is renewed (a new token, the old one may have expired).
    fresh = emulator.control.mint_token()
    renewed = api_client.get("/api/client/campaign", headers={"Authorization": f"Bearer {fresh}"})
    assert renewed.status_code == 200
