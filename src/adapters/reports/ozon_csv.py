"""Read Ozon's report files: CSV (`;`, a title line, Russian headers, decimal commas), a ZIP of
such CSVs (one per campaign, named `<campaign id>.csv`), or the JSON of the `/json` variants.

Ozon writes numbers the Russian way: `1234,56`, sometimes with spaces (or no-break spaces) as
thousands separators and a trailing `%`; a "Всего" (total) line closes the table. Everything
here is pure: bytes in, tables out.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import PurePosixPath
from typing import Any

# Guards against a hostile or broken archive: a report is far below these.
MAX_ZIP_MEMBERS = 1_000
MAX_UNZIPPED_BYTES = 512 * 1024 * 1024

_TOTAL_WORDS = ("всего", "итого", "total")
_CAMPAIGN_IN_TITLE = re.compile(r"№\s*(\d+)")
_NUMBER = re.compile(r"^[+-]?(?:\d+(?:[.,]\d+)?|[.,]\d+)$")
_GROUPED_NUMBER = re.compile(r"^[+-]?\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?:[.,]\d+)?$")


class ReportFormatError(ValueError):
    """A downloaded report cannot be read; the message says which file and why."""


@dataclass(frozen=True)
class ParsedTable:
    """One report file as read: its title, headers, data rows (raw text) and total line."""

    name: str
    title: str | None
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    totals: tuple[str, ...] | None
    campaign: str | None


def parse_number(text: str) -> Decimal | None:
    """An Ozon figure as a Decimal (`1 234,5` -> 1234.5, `3,2%` -> 3.2); None if not a number."""
    value = text.strip()
    if value.endswith("%"):
        value = value[:-1].rstrip()
    if not value:
        return None
    if value.isdigit() and value.isascii():  # the common case: a plain count
        return Decimal(value)
    if not _NUMBER.match(value):
        if not _GROUPED_NUMBER.match(value):
            return None
        value = re.sub(r"[ \u00a0\u202f]", "", value)
    try:
        return Decimal(value.replace(",", "."))
    except InvalidOperation:  # pragma: no cover - the patterns admit only valid numbers
        return None


def decode_text(body: bytes, name: str) -> str:
    """Report text: UTF-8 (a BOM is dropped); Windows-1251 as Ozon's older exports use."""
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return body.decode("cp1251")
        except UnicodeDecodeError:
            raise ReportFormatError(f"{name}: not UTF-8 or Windows-1251 text") from None


def parse_csv(body: bytes | str, name: str = "report.csv") -> ParsedTable:
    """Read one Ozon CSV report (see the module docstring for the format)."""
    text = body if isinstance(body, str) else decode_text(body, name)
    lines = [
        row for row in csv.reader(io.StringIO(text), delimiter=";") if any(c.strip() for c in row)
    ]
    if not lines:
        raise ReportFormatError(f"{name}: the file is empty")
    title: str | None = None
    if _is_title(lines):
        title = " ".join(cell.strip() for cell in lines[0] if cell.strip())
        lines = lines[1:]
    if not lines:
        raise ReportFormatError(f"{name}: a title but no header line")
    headers = tuple(cell.strip() for cell in lines[0])
    while headers and not headers[-1]:  # a trailing `;` leaves an empty last column
        headers = headers[:-1]
    if not headers:
        raise ReportFormatError(f"{name}: the header line is empty")
    rows: list[tuple[str, ...]] = []
    totals: tuple[str, ...] | None = None
    for line in lines[1:]:
        cells = _fit([cell.strip() for cell in line], len(headers))
        if cells[0].lower().rstrip(":").strip() in _TOTAL_WORDS:
            totals = cells
            continue
        rows.append(cells)
    return ParsedTable(name, title, headers, tuple(rows), totals, _campaign_of(name, title))


def parse_json(body: bytes, name: str = "report.json") -> list[ParsedTable]:
    """Read the JSON of a `/json` report: `{<campaign>: {"title", "report": {"rows", ...}}}`."""
    try:
        document = json.loads(decode_text(body, name))
    except ValueError as exc:
        raise ReportFormatError(f"{name}: not valid JSON ({exc})") from None
    if isinstance(document, dict) and "report" in document:
        document = {"": document}
    if not isinstance(document, dict):
        raise ReportFormatError(f"{name}: expected a JSON object of reports")
    tables = []
    for unit, part in document.items():
        if not isinstance(part, dict):
            raise ReportFormatError(f"{name}: {unit!r} is not a report object")
        inner = part.get("report")
        report: dict[str, Any] = inner if isinstance(inner, dict) else part
        raw_rows = report.get("rows") or []
        if not isinstance(raw_rows, list) or not all(isinstance(r, dict) for r in raw_rows):
            raise ReportFormatError(f"{name}: {unit!r}: 'rows' is not a list of objects")
        headers: list[str] = []
        for row in raw_rows:
            headers.extend(key for key in row if key not in headers)
        rows = tuple(tuple(_json_cell(row.get(key)) for key in headers) for row in raw_rows)
        title = part.get("title") if isinstance(part.get("title"), str) else None
        campaign = unit if str(unit).isdigit() else _campaign_of("", title)
        tables.append(ParsedTable(f"{name}#{unit}", title, tuple(headers), rows, None, campaign))
    return tables


def unzip(body: bytes, name: str = "report.zip") -> list[tuple[str, bytes]]:
    """The members of a report ZIP, in archive order (directories skipped), size-guarded."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(body))
    except zipfile.BadZipFile as exc:
        raise ReportFormatError(f"{name}: not a readable ZIP archive ({exc})") from None
    with archive:
        members = [info for info in archive.infolist() if not info.is_dir()]
        if len(members) > MAX_ZIP_MEMBERS:
            raise ReportFormatError(f"{name}: {len(members)} files; at most {MAX_ZIP_MEMBERS}")
        if sum(info.file_size for info in members) > MAX_UNZIPPED_BYTES:
            raise ReportFormatError(f"{name}: unpacks to more than {MAX_UNZIPPED_BYTES} bytes")
        try:
            return [(info.filename, archive.read(info)) for info in members]
        except (zipfile.BadZipFile, OSError) as exc:
            raise ReportFormatError(f"{name}: a damaged ZIP archive ({exc})") from None


def parse_download(body: bytes, content_type: str | None, name: str) -> list[ParsedTable]:
    """Every table in one downloaded report, whatever its format (ZIP, JSON or CSV)."""
    kind = (content_type or "").lower()
    if body.startswith(b"PK\x03\x04") or "zip" in kind:
        tables = []
        for member, data in unzip(body, name):
            if member.lower().endswith(".json"):
                tables.extend(parse_json(data, member))
            else:
                tables.append(parse_csv(data, member))
        return tables
    stripped = body.lstrip(b"\xef\xbb\xbf \t\r\n")
    if "json" in kind or stripped.startswith(b"{"):
        return parse_json(body, name)
    return [parse_csv(body, name)]


def _is_title(lines: list[list[str]]) -> bool:
    """A title line has one filled cell (often after a leading `;`) above a wider header line."""
    filled = [cell for cell in lines[0] if cell.strip()]
    if len(lines) < 2:
        return len(filled) == 1  # a lone title: the report has no table at all
    header_width = len([cell for cell in lines[1] if cell.strip()])
    return len(filled) == 1 and header_width > 1


def _fit(cells: list[str], width: int) -> tuple[str, ...]:
    if len(cells) < width:
        cells = cells + [""] * (width - len(cells))
    return tuple(cells[:width])


def _campaign_of(name: str, title: str | None) -> str | None:
    stem = PurePosixPath(name).stem
    if stem.isdigit():
        return stem
    if title:
        found = _CAMPAIGN_IN_TITLE.search(title)
        if found:
            return found.group(1)
    return None


def _json_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)
