"""Merging batch tables into typed rows and totals per campaign and overall."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from decimal import Decimal

import pytest

from ozon_mcp.adapters.reports.merge import column_role, merge_tables
from ozon_mcp.adapters.reports.ozon_csv import parse_csv
from ozon_mcp.adapters.reports.plan import Batch, DateRange, ReportRequest


def _csv(campaign: str, rows: list[tuple[str, str, str, str]]) -> str:
    lines = [f";Кампания № {campaign}, период", "Дата;sku;Показы;Расход, ₽;CTR (%)"]
    lines += [";".join(row) + ";1,5" for row in rows]
    lines.append("Всего;;0;0;")
    return "\n".join(lines)


@pytest.mark.parametrize(
    ("header", "role"),
    [
        ("Показы", "sum"),
        ("Расход, ₽, с НДС", "sum"),
        ("Выручка, ₽", "sum"),
        ("moneySpent", "sum"),
        ("CTR (%)", "ratio"),
        ("Ставка, ₽", "ratio"),
        ("Цена продажи, ₽", "ratio"),
        ("sku", "key"),
        ("ID заказа", "key"),
        ("Дата", "key"),
        ("Название товара", "key"),
    ],
)
def test_column_roles(header: str, role: str) -> None:
    assert column_role(header) == role


def test_merge_sums_per_campaign_and_overall_exactly() -> None:
    request = ReportRequest.build(
        campaigns=["1", "2"], date_from="2026-01-01", date_to="2026-03-31"
    )
    first = Batch(1, 2, ("1", "2"), DateRange(date(2026, 1, 1), date(2026, 3, 3)))
    second = Batch(2, 2, ("1", "2"), DateRange(date(2026, 3, 4), date(2026, 3, 31)))
    parts = [
        (first, [parse_csv(_csv("1", [("01.01.2026", "555", "10", "0,10")]), "1.csv")]),
        (first, [parse_csv(_csv("2", [("01.01.2026", "555", "1 000", "0,20")]), "2.csv")]),
        (second, [parse_csv(_csv("1", [("04.03.2026", "556", "5", "0,05")]), "1.csv")]),
    ]
    merged = merge_tables(request, parts)
    assert merged.columns == ("Дата", "sku", "Показы", "Расход, ₽", "CTR (%)")
    assert merged.totals == {"Показы": Decimal(1015), "Расход, ₽": Decimal("0.35")}
    by_campaign = {item.campaign: item for item in merged.per_campaign}
    assert by_campaign["1"].rows == 2
    assert by_campaign["1"].totals == {"Показы": Decimal(15), "Расход, ₽": Decimal("0.15")}
    summary = merged.summary()
    assert summary["totals"] == {"Показы": 1015, "Расход, ₽": 0.35}
    assert summary["row_count"] == 3
    assert summary["batches"] == 3
    rows = merged.row_documents()
    assert rows[0] == {
        "campaign": "1",
        "period": "2026-01-01..2026-03-03",
        "Дата": "01.01.2026",
        "sku": "555",  # an identifier stays text
        "Показы": 10,
        "Расход, ₽": 0.1,
        "CTR (%)": 1.5,
    }
    parsed = list(csv.reader(io.StringIO(merged.to_csv())))
    assert parsed[0] == ["campaign", "period", "Дата", "sku", "Показы", "Расход, ₽", "CTR (%)"]
    assert parsed[2] == ["2", "2026-01-01..2026-03-03", "01.01.2026", "555", "1000", "0.20", "1.5"]
    assert json.loads(merged.to_json())["summary"] == summary


def test_a_single_campaign_csv_takes_the_batch_campaign() -> None:
    request = ReportRequest.build(campaigns=["9"], date_from="2026-01-01", date_to="2026-01-01")
    batch = Batch(1, 1, ("9",), DateRange(date(2026, 1, 1), date(2026, 1, 1)))
    table = parse_csv("Дата;Показы\n01.01.2026;4\n", "uuid.csv")
    merged = merge_tables(request, [(batch, [table])])
    assert merged.rows[0].campaign == "9"
