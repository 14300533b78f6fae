"""Merge the tables of every batch into typed rows and sum them per campaign and overall.

Only additive figures are summed (views, clicks, spend, orders, revenue ...): identifiers (SKU,
order ids), dates, and ratios or prices (CTR %, bid, price, DRR) would be meaningless as sums.
Amounts are summed as Decimals, so totals match Ozon's to the kopeck.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ozon_mcp.adapters.reports.ozon_csv import ParsedTable, parse_number
from ozon_mcp.adapters.reports.plan import Batch, ReportRequest

Cell = int | Decimal | str | None
_ZERO = Decimal(0)

_KEY_WORDS = ("sku", "id", "артикул", "номер", "название", "наименование", "категори", "title")
_DATE_WORDS = ("дата", "период", "date", "недел", "месяц", "источник", "продвижение", "изменени")
_RATIO_WORDS = (
    "%",
    "ctr",
    "ставка",
    "bid",
    "цена",
    "price",
    "дрр",
    "drr",
    "охват",
    "reach",
    "средн",
    "cpm",
    "cpc",
    "доля",
)


def column_role(header: str) -> str:
    """`key` (identifiers, names, dates: kept as text), `ratio` (a number, not summed) or `sum`."""
    lowered = header.lower()
    if any(word in lowered for word in _RATIO_WORDS):
        return "ratio"
    if any(word in lowered for word in _KEY_WORDS + _DATE_WORDS):
        return "key"
    return "sum"


@dataclass(frozen=True)
class ReportRow:
    """One row of the merged report: its campaign, the batch period, and typed values."""

    campaign: str | None
    period: str
    values: dict[str, Cell]


@dataclass
class CampaignTotals:
    """The sums of one campaign's additive columns, and how many rows it had."""

    campaign: str | None
    rows: int = 0
    totals: dict[str, Decimal] = field(default_factory=dict)


@dataclass(frozen=True)
class MergedReport:
    """The whole answer: the request, the merged columns and rows, and the totals."""

    request: ReportRequest
    batches: int
    columns: tuple[str, ...]
    rows: tuple[ReportRow, ...]
    per_campaign: tuple[CampaignTotals, ...]
    totals: dict[str, Decimal]

    def summary(self) -> dict[str, Any]:
        """The summary as plain JSON values (numbers as numbers)."""
        request = self.request
        return {
            "kind": request.kind.value,
            "date_from": request.period.start.isoformat(),
            "date_to": request.period.end.isoformat(),
            "group_by": request.group_by,
            "campaigns": list(request.campaigns),
            "batches": self.batches,
            "row_count": len(self.rows),
            "columns": list(self.columns),
            "totals": {key: plain(value) for key, value in self.totals.items()},
            "per_campaign": [
                {
                    "campaign": item.campaign,
                    "rows": item.rows,
                    "totals": {key: plain(value) for key, value in item.totals.items()},
                }
                for item in self.per_campaign
            ],
        }

    def row_documents(self) -> list[dict[str, Any]]:
        """The rows as plain JSON objects: `campaign`, `period`, then the report's columns."""
        return [
            {
                "campaign": row.campaign,
                "period": row.period,
                **{key: plain(value) for key, value in row.values.items()},
            }
            for row in self.rows
        ]

    def csv_lines(self) -> list[str]:
        """The merged CSV line by line: the header, then one line per row (no newline)."""
        header = _csv_line(["campaign", "period", *self.columns])
        lines = [header]
        for row in self.rows:
            cells = [_csv_cell(row.values.get(column)) for column in self.columns]
            lines.append(_csv_line([row.campaign or "", row.period, *cells]))
        return lines

    def to_csv(self) -> str:
        """The merged rows as one CSV (comma-separated, decimal points, a header line)."""
        return "".join(line + "\n" for line in self.csv_lines())

    def to_json(self) -> str:
        """The summary and, unless only the summary was asked for, the rows, as JSON text."""
        document: dict[str, Any] = {"summary": self.summary()}
        document["rows"] = self.row_documents()
        return json.dumps(document, ensure_ascii=False, indent=1)


def merge_tables(
    request: ReportRequest, parts: Sequence[tuple[Batch, Sequence[ParsedTable]]]
) -> MergedReport:
    """Merge every batch's tables into one report (columns in first-seen order)."""
    columns: list[str] = []
    rows: list[ReportRow] = []
    for batch, tables in parts:
        for table in tables:
            columns.extend(header for header in table.headers if header not in columns)
            campaign = table.campaign
            if campaign is None and len(batch.campaigns) == 1:
                campaign = batch.campaigns[0]
            rows.extend(_typed_rows(table, campaign, str(batch.period)))
    per_campaign, totals = _sum(rows, columns)
    batches = len(parts)
    return MergedReport(request, batches, tuple(columns), tuple(rows), tuple(per_campaign), totals)


def plain(value: Cell | Decimal) -> Any:
    """A JSON-ready value: Decimals become int when whole, else float."""
    if isinstance(value, Decimal):
        if value == value.to_integral_value() and value.as_tuple().exponent >= 0:  # type: ignore[operator]
            return int(value)
        return float(value)
    return value


def _typed_rows(table: ParsedTable, campaign: str | None, period: str) -> Iterable[ReportRow]:
    roles = [column_role(header) for header in table.headers]
    for raw in table.rows:
        values: dict[str, Cell] = {}
        for header, role, text in zip(table.headers, roles, raw, strict=True):
            values[header] = _typed(text, role)
        yield ReportRow(campaign, period, values)


def _typed(text: str, role: str) -> Cell:
    if text == "":
        return None
    if role == "key":
        return text
    if text.isdigit() and text.isascii():  # the common case: a plain count
        return int(text)
    number = parse_number(text)
    if number is None:
        return text
    if "," not in text and "." not in text and number == number.to_integral_value():
        return int(number)
    return number


def _sum(
    rows: Sequence[ReportRow], columns: Sequence[str]
) -> tuple[list[CampaignTotals], dict[str, Decimal]]:
    additive = [column for column in columns if column_role(column) == "sum"]
    by_campaign: dict[str | None, CampaignTotals] = {}
    for row in rows:
        item = by_campaign.get(row.campaign)
        if item is None:
            item = by_campaign[row.campaign] = CampaignTotals(row.campaign)
        item.rows += 1
        sums = item.totals
        values = row.values
        for column in additive:
            value = values.get(column)
            if isinstance(value, int | Decimal):
                sums[column] = sums.get(column, _ZERO) + value
    totals: dict[str, Decimal] = {}
    for item in by_campaign.values():  # overall = the sum of the campaigns' sums
        for column in additive:
            if column in item.totals:
                item.totals[column] = Decimal(item.totals[column])
                totals[column] = totals.get(column, _ZERO) + item.totals[column]
    return list(by_campaign.values()), totals


def _csv_line(cells: list[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow(cells)
    return buffer.getvalue()


def _csv_cell(value: Cell) -> str:
    if value is None:
        return ""
    return str(value)
