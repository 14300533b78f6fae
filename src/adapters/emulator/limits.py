"""Report requests checked against the spec's `Limits` tag, and their period worked out.

Statistics reports: at most 10 campaigns and 62 days each (one report in progress per account
is enforced by the report store). Vendor reports are outside the Statistics section: they need
a period but are not bound by these limits.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from .config import MAX_CAMPAIGNS_PER_REPORT, MAX_DAYS_PER_REPORT
from .errors import ApiError

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class ReportPeriod:
    """The days a report covers (inclusive) and how many days that counts for the limit."""

    start: date
    end: date
    days: int

    def dates(self) -> list[date]:
        """Every day of the period, in order."""
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]


def statistics_period(body: dict[str, Any]) -> ReportPeriod:
    """`dateFrom`/`dateTo` win over `from`/`to` when all four are given (as the spec says)."""
    if "dateFrom" in body or "dateTo" in body:
        start, end = _pair(body, "dateFrom", "dateTo", _parse_date)
        period = ReportPeriod(start, end, (end - start).days + 1)
        last_field = "dateTo"
    elif "from" in body or "to" in body:
        begin, finish = _pair(body, "from", "to", _parse_datetime)
        days = max(1, math.ceil((finish - begin).total_seconds() / 86_400))
        period = ReportPeriod(begin.date(), finish.date(), days)
        last_field = "to"
    else:
        raise ApiError(
            400, "the report period is missing: give 'dateFrom' and 'dateTo' (or 'from' and 'to')"
        )
    if period.days > MAX_DAYS_PER_REPORT:
        raise ApiError(
            400,
            f"field '{last_field}': the report period is {period.days} days; at most "
            f"{MAX_DAYS_PER_REPORT} days are allowed in one report",
        )
    return period


def vendor_period(body: dict[str, Any]) -> ReportPeriod:
    """Vendor reports cover at most three months; a longer period is cut (as the spec says)."""
    start, end = _pair(body, "dateFrom", "dateTo", _parse_date)
    if start < date(2022, 1, 1):
        raise ApiError(400, "field 'dateFrom': must not be earlier than 2022-01-01")
    end = min(end, _add_months(start, 3))
    return ReportPeriod(start, end, (end - start).days + 1)


def report_campaigns(body: dict[str, Any], schema_has_campaigns: bool) -> tuple[str, ...]:
    """The campaigns of a report request, checked against the per-report limit."""
    if not schema_has_campaigns:
        return ()
    campaigns = tuple(str(c) for c in body.get("campaigns") or ())
    if not campaigns:
        raise ApiError(400, "field 'campaigns': list at least one campaign")
    if len(campaigns) > MAX_CAMPAIGNS_PER_REPORT:
        raise ApiError(
            400,
            f"field 'campaigns': {len(campaigns)} campaigns given; at most "
            f"{MAX_CAMPAIGNS_PER_REPORT} campaigns are allowed in one report",
        )
    return campaigns


def _pair(body: dict[str, Any], first: str, last: str, parse: Any) -> tuple[Any, Any]:
    for name in (first, last):
        if body.get(name) in (None, ""):
            raise ApiError(400, f"field '{name}' is required together with '{first}'/'{last}'")
    start, end = parse(body[first], first), parse(body[last], last)
    if end < start:
        raise ApiError(400, f"field '{last}': {body[last]!r} is before '{first}' {body[first]!r}")
    return start, end


def _parse_date(value: Any, name: str) -> date:
    if isinstance(value, str) and _DATE.match(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ApiError(400, f"field '{name}': {value!r} is not a date in the form YYYY-MM-DD")


def _parse_datetime(value: Any, name: str) -> datetime:
    try:
        return datetime.fromisoformat(str(value).upper().replace("Z", "+00:00"))
    except ValueError:
        raise ApiError(400, f"field '{name}': {value!r} is not an RFC 3339 date-time") from None


def _add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    return date(year, month, 28)
