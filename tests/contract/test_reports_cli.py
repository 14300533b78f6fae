"""`ozon-mcp report` end to end: a subprocess with a clean environment against the emulator."""

from __future__ import annotations

import csv
import io
import json
import subprocess
from pathlib import Path

from mcp_support import run_cli

from ozon_mcp.adapters.emulator import EmulatorHandle

FAST_POLLING = {"OZON_MCP_REPORT_POLL_SECONDS": "0.05", "OZON_MCP_REPORT_POLL_MAX_SECONDS": "0.2"}
CAMPAIGNS = ",".join(str(5_000_000 + i) for i in range(25))


def run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return run_cli(["report", *args], cwd, env, timeout=90)


def test_25_campaigns_over_90_days_to_a_csv_file(emulator: EmulatorHandle, tmp_path: Path) -> None:
    args = ["--campaigns", CAMPAIGNS, "--from", "2026-01-01", "--to", "2026-03-31"]
    done = run(
        [*args, "--group-by", "date", "-o", "out.csv"], tmp_path, {**emulator.env(), **FAST_POLLING}
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    rows = list(csv.DictReader(io.StringIO((tmp_path / "out.csv").read_text("utf-8"))))
    assert len(rows) == 25 * 90 * 2
    assert {row["campaign"] for row in rows} == set(CAMPAIGNS.split(","))
    assert {row["period"] for row in rows} == {"2026-01-01..2026-03-03", "2026-03-04..2026-03-31"}
    progress = [line for line in done.stderr.splitlines() if line.startswith("ozon-mcp report: ")]
    assert progress[0].startswith("ozon-mcp report: batch 1/6: submitted (campaigns 5000000,")
    assert "ozon-mcp report: batch 6/6: downloaded, 5 table(s), 280 row(s)" in progress
    assert progress[-1] == "ozon-mcp report: 4500 rows written to out.csv"
    submits = [r for r in emulator.control.requests if r.operation_id == "SubmitRequest"]
    assert [r.status for r in submits] == [200] * 6
    assert emulator.config.secret_value not in done.stderr


def test_json_summary_to_stdout(emulator: EmulatorHandle, tmp_path: Path) -> None:
    args = ["--campaigns", "1,2", "--from", "2026-01-01", "--to", "2026-01-10"]
    done = run(
        [*args, "--format", "json", "--detail", "summary"],
        tmp_path,
        {**emulator.env(), **FAST_POLLING},
    )
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert list(document) == ["summary"]
    summary = document["summary"]
    assert summary["batches"] == 1
    assert [item["campaign"] for item in summary["per_campaign"]] == ["1", "2"]
    assert summary["totals"]["Показы"] == sum(
        item["totals"]["Показы"] for item in summary["per_campaign"]
    )


def test_a_failed_report_exits_non_zero_with_the_reason(
    emulator: EmulatorHandle, tmp_path: Path
) -> None:
    emulator.control.fail_next_reports(1, "статистика временно недоступна")
    args = ["--campaigns", "1", "--from", "2026-01-01", "--to", "2026-01-02", "-o", "out.csv"]
    done = run(args, tmp_path, {**emulator.env(), **FAST_POLLING})
    assert done.returncode == 1
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("ozon-mcp report: batch 1/1 (campaigns 1, 2026-01-01..2026-01-02)")
    assert last.endswith("ended in ERROR: статистика временно недоступна")
    assert not (tmp_path / "out.csv").exists()


def test_bad_flags_and_missing_credentials_are_named(
    emulator: EmulatorHandle, tmp_path: Path
) -> None:
    bad = run(
        ["--campaigns", "1", "--from", "2026-13-01", "--to", "2026-01-02"], tmp_path, emulator.env()
    )
    assert bad.returncode == 2
    assert (
        "ozon-mcp report: --from: '2026-13-01' is not a date in the form YYYY-MM-DD" in bad.stderr
    )
    no_ids = run(["--from", "2026-01-01", "--to", "2026-01-02"], tmp_path, emulator.env())
    assert no_ids.returncode == 2
    assert "--campaigns: a statistics report needs campaign ids" in no_ids.stderr
    no_secret = run(
        ["--campaigns", "1", "--from", "2026-01-01", "--to", "2026-01-02"], tmp_path, {}
    )
    assert no_secret.returncode == 2
    assert "OAUTH_CLIENT_ID is not set" in no_secret.stderr
    assert [r for r in emulator.control.requests if r.kind == "api"] == []


def test_the_built_in_emulator_needs_no_configuration(tmp_path: Path) -> None:
    args = ["--emulator", "--campaigns", "1,2,3", "--from", "2026-01-01", "--to", "2026-01-31"]
    done = run([*args, "--group-by", "DATE"], tmp_path, {})
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert len(rows) == 3 * 31 * 2
