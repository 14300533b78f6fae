"""Reading Ozon's report files: CSV with decimal commas, ZIP of CSVs, JSON."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ozon_mcp.adapters.reports import ozon_csv
from ozon_mcp.adapters.reports.ozon_csv import (
    ReportFormatError,
    parse_csv,
    parse_download,
    parse_json,
    parse_number,
    unzip,
)

SAMPLE = (
    ";Кампания № 1234567, период 01.01.2026-31.01.2026\n"
    "Дата;sku;Название товара;Показы;Клики;CTR (%);Расход, ₽, с НДС;Выручка, ₽\n"
    "01.01.2026;123456789;Термос 0,5 л;1 204;17;1,41;1 234,56;2 000\n"
    '02.01.2026;987654321;"Кружка; большая";300;3;1,00;10,5;0\n'
    "Всего;;;1504;20;;1245,06;2000\n"
)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("0", Decimal(0)),
        ("17", Decimal(17)),
        ("1234,56", Decimal("1234.56")),
        ("1 234,56", Decimal("1234.56")),
        ("1\u00a0234\u00a0567,5", Decimal("1234567.5")),
        ("1\u202f000", Decimal(1000)),
        ("-12,5", Decimal("-12.5")),
        ("3,2%", Decimal("3.2")),
        ("3,2 %", Decimal("3.2")),
        ("0.75", Decimal("0.75")),
        (",5", Decimal("0.5")),
    ],
)
def test_ozon_numbers(text: str, value: Decimal) -> None:
    assert parse_number(text) == value


@pytest.mark.parametrize("text", ["", "-", "abc", "12,3,4", "1 23", "01.01.2026", "1e5", "%"])
def test_not_numbers(text: str) -> None:
    assert parse_number(text) is None


def _ozon_format(value: Decimal, places: int, separator: str, percent: bool) -> str:
    """Write `value` the way Ozon's CSV does: decimal comma, optional thousands separator."""
    text = f"{abs(value):,.{places}f}".replace(",", separator).replace(".", ",")
    return ("-" if value < 0 else "") + text + ("%" if percent else "")


@given(
    value=st.decimals(min_value=-(10**9), max_value=10**9, places=2, allow_nan=False),
    places=st.integers(min_value=0, max_value=2),
    separator=st.sampled_from(["", " ", "\u00a0", "\u202f"]),
    percent=st.booleans(),
)
def test_every_ozon_number_format_parses_back(
    value: Decimal, places: int, separator: str, percent: bool
) -> None:
    rounded = round(value, places)
    text = _ozon_format(rounded, places, separator, percent)
    assert parse_number(text) == rounded


def test_an_ozon_csv_with_title_headers_rows_and_total() -> None:
    table = parse_csv(SAMPLE.encode("utf-8"), "report.csv")
    assert table.title == "Кампания № 1234567, период 01.01.2026-31.01.2026"
    assert table.campaign == "1234567"
    assert table.headers[:3] == ("Дата", "sku", "Название товара")
    assert len(table.rows) == 2
    assert table.rows[1][2] == "Кружка; большая"  # a quoted `;` stays in its cell
    assert table.totals is not None
    assert table.totals[0] == "Всего"


def test_bom_windows_1251_and_blank_lines() -> None:
    text = "\n" + SAMPLE.replace("\n", "\r\n") + "\n\n"
    assert parse_csv(b"\xef\xbb\xbf" + text.encode("utf-8")).rows == parse_csv(SAMPLE).rows
    legacy = SAMPLE.replace("₽", "руб.")  # Windows-1251 has no rouble sign
    assert parse_csv(legacy.encode("cp1251")).rows == parse_csv(legacy).rows


def test_a_csv_without_title_line() -> None:
    table = parse_csv("Дата;Показы\n01.01.2026;5\n", "7.csv")
    assert table.title is None
    assert table.headers == ("Дата", "Показы")
    assert table.campaign == "7"  # from the file name


@pytest.mark.parametrize("text", ["", "\n\n", ";Только заголовок\n"])
def test_unreadable_csv_is_named(text: str) -> None:
    with pytest.raises(ReportFormatError, match=r"^x\.csv: "):
        parse_csv(text, "x.csv")


def _zip(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(name, text.encode("utf-8"))
    return buffer.getvalue()


def test_a_zip_of_campaign_csvs() -> None:
    body = _zip({"111.csv": SAMPLE, "222.csv": SAMPLE.replace("1234567", "222")})
    tables = parse_download(body, "application/zip", "u.zip")
    assert [t.campaign for t in tables] == ["111", "222"]  # the file name names the campaign
    assert all(len(t.rows) == 2 for t in tables)


def test_zip_guards(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ReportFormatError, match="not a readable ZIP"):
        unzip(b"PK\x03\x04garbage", "bad.zip")
    monkeypatch.setattr(ozon_csv, "MAX_UNZIPPED_BYTES", 10)
    with pytest.raises(ReportFormatError, match="unpacks to more than"):
        unzip(_zip({"1.csv": SAMPLE}), "big.zip")


def test_the_json_variant() -> None:
    document = {
        "42": {
            "title": "Кампания № 42, период 01.01.2026-01.01.2026",
            "report": {
                "rows": [{"date": "01.01.2026", "views": "10", "moneySpent": "1,50"}],
                "totals": {"views": "10"},
            },
        }
    }
    body = json.dumps(document, ensure_ascii=False).encode("utf-8")
    (table,) = parse_download(body, "application/json", "r.json")
    assert table.campaign == "42"
    assert table.headers == ("date", "views", "moneySpent")
    assert table.rows == (("01.01.2026", "10", "1,50"),)
    with pytest.raises(ReportFormatError, match="not valid JSON"):
        parse_json(b"{", "r.json")


_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from(';"'),
    max_size=12,
).filter(
    lambda t: (
        t.strip() == t
        and parse_number(t) is None
        and t.lower().rstrip(":").strip() not in ("всего", "итого", "total")
    )
)


@given(
    rows=st.lists(
        st.tuples(
            _TEXT,
            st.integers(min_value=0, max_value=10**7),
            st.decimals(min_value=0, max_value=10**6, places=2, allow_nan=False),
            st.sampled_from(["", " ", "\u00a0"]),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_written_ozon_csv_reads_back_exactly(
    rows: list[tuple[str, int, Decimal, str]],
) -> None:
    """Any table Ozon could write (quoted `;`, thousands separators, decimal commas) parses
    back to the same cells and numbers."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\n")
    writer.writerow(["", "Кампания № 42, период 01.01.2026-31.01.2026"])
    writer.writerow(["Название товара", "Показы", "Расход, ₽"])
    for name, views, spent, separator in rows:
        writer.writerow(
            [
                name,
                _ozon_format(Decimal(views), 0, separator, False),
                _ozon_format(spent, 2, separator, False),
            ]
        )
    writer.writerow(["Всего", str(sum(r[1] for r in rows)), ""])
    table = parse_csv(buffer.getvalue().encode("utf-8"), "42.csv")
    assert table.campaign == "42"
    assert [row[0] for row in table.rows] == [r[0] for r in rows]
    assert [parse_number(row[1]) for row in table.rows] == [Decimal(r[1]) for r in rows]
    assert [parse_number(row[2]) for row in table.rows] == [r[2] for r in rows]
    assert table.totals is not None
