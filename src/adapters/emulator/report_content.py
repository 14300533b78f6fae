"""The files a finished report downloads as: CSV, a ZIP of CSVs, or JSON.

Ozon's format rule (spec, DownloadStatistics): one campaign -> CSV; several campaigns -> a ZIP
with one `<campaign id>.csv` per campaign; the `/json` submit variants -> JSON. CSV is
semicolon-separated with decimal commas, a title line first and a "Всего" (total) line last.
Figures are pseudo-random but reproducible: seeded by report UUID, campaign and day.
"""

from __future__ import annotations

import io
import json
import random
import zipfile
from dataclasses import dataclass
from datetime import date

from .reports import Report


@dataclass(frozen=True)
class Column:
    """One report column: its CSV title, its JSON key and what kind of figure it holds."""

    title: str
    key: str
    kind: str  # date | sku | name | count | money | percent | text


_SKU = Column("sku", "sku", "sku")
_NAME = Column("Название товара", "title", "name")
_DATE = Column("Дата", "date", "date")
_VIEWS = Column("Показы", "views", "count")
_CLICKS = Column("Клики", "clicks", "count")
_CTR = Column("CTR (%)", "ctr", "percent")
_SPENT = Column("Расход, ₽, с НДС", "moneySpent", "money")
_ORDERS = Column("Заказы", "orders", "count")
_REVENUE = Column("Выручка, ₽", "ordersMoney", "money")

COLUMNS: dict[str, tuple[Column, ...]] = {
    "STATS": (
        _DATE,
        _SKU,
        _NAME,
        _VIEWS,
        _CLICKS,
        _CTR,
        Column("В корзину", "toCart", "count"),
        _SPENT,
        _ORDERS,
        _REVENUE,
    ),
    "VIDEO": (
        _DATE,
        Column("ID баннера", "bannerId", "sku"),
        Column("Видимые показы", "viewableViews", "count"),
        _VIEWS,
        _CLICKS,
        Column("Охват", "reach", "count"),
        _CTR,
        _SPENT,
    ),
    "ATTRIBUTION": (
        _DATE,
        Column("ID заказа", "orderId", "sku"),
        _SKU,
        _NAME,
        Column("Количество", "quantity", "count"),
        _REVENUE,
        _SPENT,
    ),
    "VENDOR": (
        _DATE,
        Column("Источник трафика", "source", "text"),
        Column("Переходы", "visits", "count"),
        _ORDERS,
        _REVENUE,
    ),
}
_PRODUCTS = ("Кружка керамическая", "Термос 0,5 л", "Чайник электрический")
_SOURCES = ("VK Реклама", "Яндекс Директ", "Telegram Ads")


@dataclass(frozen=True)
class RenderedReport:
    """The bytes of a download and how to label them."""

    body: bytes
    content_type: str
    filename: str


def render(report: Report) -> RenderedReport:
    """The download of a finished report."""
    columns = COLUMNS["VENDOR" if report.family == "vendor" else report.kind]
    units = list(report.campaigns) or ["report"]  # reports without campaigns: one file
    tables = {unit: _rows(report, unit, columns) for unit in units}
    if report.as_json:
        document = {
            unit: {
                "title": _title(report, unit),
                "report": {"rows": rows, "totals": _totals(rows, columns)},
            }
            for unit, rows in tables.items()
        }
        body = json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")
        return RenderedReport(body, "application/json", f"{report.uuid}.json")
    if len(units) == 1:
        csv = _csv(report, units[0], tables[units[0]], columns)
        return RenderedReport(csv, "text/csv; charset=UTF-8", f"{report.uuid}.csv")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for unit, rows in tables.items():
            archive.writestr(f"{unit}.csv", _csv(report, unit, rows, columns))
    return RenderedReport(buffer.getvalue(), "application/zip", f"{report.uuid}.zip")


def _title(report: Report, unit: str) -> str:
    first, last = report.period.start, report.period.end
    span = f"{first:%d.%m.%Y}-{last:%d.%m.%Y}"
    if report.family == "vendor":
        return f"Аналитика внешнего трафика, период {span}"
    if not report.campaigns:
        return f"Оплата за заказ, период {span}"
    return f"Кампания № {unit}, период {span}"


def _rows(report: Report, unit: str, columns: tuple[Column, ...]) -> list[dict[str, str]]:
    by_date = report.family == "vendor" or report.request.get("groupBy") not in (
        None,
        "NO_GROUP_BY",
    )
    days: list[date | None] = list(report.period.dates()) if by_date else [None]
    rows = []
    for day in days:
        for index in range(2):
            seed = f"{report.uuid}/{unit}/{day}/{index}"
            rows.append(_row(random.Random(seed), report, day, index, columns))
    return rows


def _row(
    rng: random.Random, report: Report, day: date | None, index: int, columns: tuple[Column, ...]
) -> dict[str, str]:
    views = rng.randint(100, 5000)
    row: dict[str, str] = {}
    for column in columns:
        if column.kind == "date":
            period = f"{report.period.start:%d.%m.%Y}-{report.period.end:%d.%m.%Y}"
            row[column.key] = f"{day:%d.%m.%Y}" if day else period
        elif column.kind == "sku":
            row[column.key] = str(rng.randint(100_000_000, 999_999_999))
        elif column.kind == "name":
            row[column.key] = _PRODUCTS[index % len(_PRODUCTS)]
        elif column.kind == "text":
            row[column.key] = _SOURCES[index % len(_SOURCES)]
        elif column.kind == "count":
            row[column.key] = str(views if column.key == "views" else rng.randint(0, views // 20))
        elif column.kind == "percent":
            row[column.key] = _decimal(rng.uniform(0.1, 5.0))
        else:
            row[column.key] = _decimal(rng.uniform(10, 5000))
    return row


def _totals(rows: list[dict[str, str]], columns: tuple[Column, ...]) -> dict[str, str]:
    totals: dict[str, str] = {}
    for column in columns:
        values = [row[column.key] for row in rows]
        if column.kind == "count":
            totals[column.key] = str(sum(int(v) for v in values))
        elif column.kind == "money":
            totals[column.key] = _decimal(sum(float(v.replace(",", ".")) for v in values))
    return totals


def _csv(
    report: Report, unit: str, rows: list[dict[str, str]], columns: tuple[Column, ...]
) -> bytes:
    totals = _totals(rows, columns)
    lines = [f";{_title(report, unit)}", ";".join(c.title for c in columns)]
    lines += [";".join(row[c.key] for c in columns) for row in rows]
    lines.append("Всего;" + ";".join(totals.get(c.key, "") for c in columns[1:]))
    return ("\n".join(lines) + "\n").encode("utf-8")


def _decimal(value: float) -> str:
    return f"{value:.2f}".replace(".", ",")
