"""What a statistics report request is, and how it is cut into batches Ozon accepts.

Ozon's limits (spec, tag Limits): at most 10 campaigns and 62 days in one report, and one
report in progress per account. A request for 25 campaigns over 90 days therefore becomes
3 campaign groups x 2 date ranges = 6 reports, submitted one after another.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import Enum
from typing import Any

MAX_CAMPAIGNS_PER_REPORT = 10
MAX_DAYS_PER_REPORT = 62

GROUP_BY_VALUES = ("NO_GROUP_BY", "DATE", "START_OF_WEEK", "START_OF_MONTH")


class ReportInputError(ValueError):
    """The report request itself is wrong; the message names the argument."""


@dataclass(frozen=True)
class KindSpec:
    """How one report kind is submitted: its operation and the shape of its body."""

    submit_operation: str
    takes_campaigns: bool
    takes_group_by: bool
    date_time_period: bool  # `from`/`to` as RFC 3339 date-times instead of `dateFrom`/`dateTo`
    description: str


class ReportKind(Enum):
    """The report kinds the engine can fetch (values are the tool's and the CLI's names)."""

    STATISTICS = "statistics"
    VIDEO = "video"
    ATTRIBUTION = "attribution"
    SEARCH_PROMO_ORDERS = "search_promo_orders"
    SEARCH_PROMO_PRODUCTS = "search_promo_products"

    @property
    def spec(self) -> KindSpec:
        """The submit operation and body shape of this kind."""
        return _KIND_SPECS[self]

    @classmethod
    def parse(cls, value: str) -> ReportKind:
        """The kind named `value`, or an error listing the valid names."""
        try:
            return cls(value.strip().lower().replace("-", "_"))
        except ValueError:
            names = ", ".join(kind.value for kind in cls)
            raise ReportInputError(f"kind: {value!r} is not one of {names}") from None


_KIND_SPECS = {
    ReportKind.STATISTICS: KindSpec(
        "SubmitRequest", True, True, False, "campaign statistics (banners, products, search)"
    ),
    ReportKind.VIDEO: KindSpec(
        "VideoCampaignsSubmitRequest", True, True, False, "video banner campaign statistics"
    ),
    ReportKind.ATTRIBUTION: KindSpec(
        "AttributionSubmitRequest", True, True, False, "orders attributed to banner campaigns"
    ),
    ReportKind.SEARCH_PROMO_ORDERS: KindSpec(
        "SearchPromoOrdersReportSubmitRequest", False, False, True, "pay-per-order: orders"
    ),
    ReportKind.SEARCH_PROMO_PRODUCTS: KindSpec(
        "SearchPromoProductsReportSubmitRequest", False, False, True, "pay-per-order: products"
    ),
}


class Detail(Enum):
    """How much the answer carries: the totals only, or the rows as well."""

    SUMMARY = "summary"
    ROWS = "rows"


@dataclass(frozen=True)
class DateRange:
    """A period of whole days, both ends included."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def __str__(self) -> str:
        return f"{self.start.isoformat()}..{self.end.isoformat()}"


@dataclass(frozen=True)
class ReportRequest:
    """One report as the user asked for it, before splitting."""

    campaigns: tuple[str, ...]
    period: DateRange
    group_by: str = "NO_GROUP_BY"
    kind: ReportKind = ReportKind.STATISTICS
    detail: Detail = Detail.ROWS

    @classmethod
    def build(
        cls,
        *,
        campaigns: Sequence[str | int] | None,
        date_from: str,
        date_to: str,
        group_by: str | None = None,
        kind: str | ReportKind | None = None,
        detail: str | Detail | None = None,
    ) -> ReportRequest:
        """Check raw input (tool arguments or CLI flags) and build the request.

        Raises `ReportInputError` naming the argument that is wrong.
        """
        chosen = kind if isinstance(kind, ReportKind) else ReportKind.parse(kind or "statistics")
        start = _parse_day(date_from, "date_from")
        end = _parse_day(date_to, "date_to")
        if end < start:
            raise ReportInputError(f"date_to: {date_to} is before date_from {date_from}")
        ids = _campaign_ids(campaigns or ())
        if chosen.spec.takes_campaigns and not ids:
            raise ReportInputError(f"campaigns: a {chosen.value} report needs campaign ids")
        if not chosen.spec.takes_campaigns and ids:
            raise ReportInputError(
                f"campaigns: a {chosen.value} report covers the whole account; leave it empty"
            )
        grouping = (group_by or "NO_GROUP_BY").strip().upper()
        if grouping not in GROUP_BY_VALUES:
            raise ReportInputError(
                f"group_by: {group_by!r} is not one of {', '.join(GROUP_BY_VALUES)}"
            )
        if not chosen.spec.takes_group_by and grouping != "NO_GROUP_BY":
            raise ReportInputError(f"group_by: a {chosen.value} report cannot be grouped")
        try:
            level = detail if isinstance(detail, Detail) else Detail((detail or "rows").lower())
        except ValueError:
            raise ReportInputError(f"detail: {detail!r} is not one of summary, rows") from None
        return cls(ids, DateRange(start, end), grouping, chosen, level)


@dataclass(frozen=True)
class Batch:
    """One report to submit: at most 10 campaigns over at most 62 days."""

    index: int  # 1-based, for messages such as "batch 2/5"
    count: int
    campaigns: tuple[str, ...]
    period: DateRange

    def scope(self) -> str:
        """Which campaigns and days the batch covers."""
        who = f"campaigns {','.join(self.campaigns)}" if self.campaigns else "the account"
        return f"{who}, {self.period}"

    def describe(self) -> str:
        """A short label for messages: which batch, which campaigns, which days."""
        return f"batch {self.index}/{self.count} ({self.scope()})"


def split_campaigns(
    campaigns: Sequence[str], size: int = MAX_CAMPAIGNS_PER_REPORT
) -> list[tuple[str, ...]]:
    """Consecutive groups of at most `size` campaigns (one empty group for account reports)."""
    if size < 1:
        raise ValueError("size must be at least 1")
    if not campaigns:
        return [()]
    return [tuple(campaigns[i : i + size]) for i in range(0, len(campaigns), size)]


def split_period(period: DateRange, max_days: int = MAX_DAYS_PER_REPORT) -> list[DateRange]:
    """Consecutive ranges of at most `max_days` days that cover `period` exactly once."""
    if max_days < 1:
        raise ValueError("max_days must be at least 1")
    ranges = []
    start = period.start
    while start <= period.end:
        end = min(period.end, start + timedelta(days=max_days - 1))
        ranges.append(DateRange(start, end))
        start = end + timedelta(days=1)
    return ranges


def plan_batches(request: ReportRequest) -> list[Batch]:
    """Every report the request needs, date range by date range, campaign group by group."""
    pieces = [
        (group, period)
        for period in split_period(request.period)
        for group in split_campaigns(request.campaigns)
    ]
    return [
        Batch(index, len(pieces), group, period)
        for index, (group, period) in enumerate(pieces, start=1)
    ]


def submit_arguments(request: ReportRequest, batch: Batch) -> dict[str, Any]:
    """The tool arguments of the submit operation for one batch."""
    spec = request.kind.spec
    arguments: dict[str, Any] = {}
    if spec.takes_campaigns:
        arguments["campaigns"] = list(batch.campaigns)
    if spec.date_time_period:
        arguments["from"] = f"{batch.period.start.isoformat()}T00:00:00Z"
        arguments["to"] = f"{batch.period.end.isoformat()}T23:59:59Z"
    else:
        arguments["dateFrom"] = batch.period.start.isoformat()
        arguments["dateTo"] = batch.period.end.isoformat()
    if spec.takes_group_by:
        arguments["groupBy"] = request.group_by
    return arguments


def _parse_day(value: str, name: str) -> date:
    text = str(value).strip()
    try:
        if len(text) != 10:
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        raise ReportInputError(f"{name}: {value!r} is not a date in the form YYYY-MM-DD") from None


def _campaign_ids(values: Sequence[str | int]) -> tuple[str, ...]:
    ids: list[str] = []
    for value in values:
        text = str(value).strip()
        if not text.isdigit() or not text.isascii():
            raise ReportInputError(f"campaigns: {value!r} is not a campaign id (digits only)")
        if text not in ids:  # a repeated id would be counted twice in the totals
            ids.append(text)
    return tuple(ids)
