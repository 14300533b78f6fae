"""Splitting a report request into batches Ozon accepts (10 campaigns, 62 days each)."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ozon_mcp.adapters.reports.plan import (
    Batch,
    DateRange,
    Detail,
    ReportInputError,
    ReportKind,
    ReportRequest,
    plan_batches,
    split_campaigns,
    split_period,
    submit_arguments,
)


def _request(campaigns: int, days: int, **extra: str) -> ReportRequest:
    start = date(2026, 1, 1)
    return ReportRequest.build(
        campaigns=[str(1000 + i) for i in range(campaigns)],
        date_from=start.isoformat(),
        date_to=(start + timedelta(days=days - 1)).isoformat(),
        **extra,
    )


def test_eleven_campaigns_make_two_batches() -> None:
    groups = split_campaigns([str(i) for i in range(1, 12)])
    assert groups == [tuple(str(i) for i in range(1, 11)), ("11",)]


def test_one_hundred_days_make_two_ranges() -> None:
    period = DateRange(date(2026, 1, 1), date(2026, 4, 10))
    assert period.days == 100
    ranges = split_period(period)
    assert ranges == [
        DateRange(date(2026, 1, 1), date(2026, 3, 3)),
        DateRange(date(2026, 3, 4), date(2026, 4, 10)),
    ]
    assert [r.days for r in ranges] == [62, 38]


def test_twenty_five_campaigns_over_ninety_days_make_six_reports() -> None:
    batches = plan_batches(_request(25, 90))
    assert len(batches) == 6
    assert [len(b.campaigns) for b in batches] == [10, 10, 5, 10, 10, 5]
    assert [b.index for b in batches] == [1, 2, 3, 4, 5, 6]
    assert all(b.count == 6 for b in batches)
    assert batches[1].describe().startswith("batch 2/6 (campaigns 1010,")


@given(
    start=st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 1, 1)),
    days=st.integers(min_value=1, max_value=800),
    max_days=st.integers(min_value=1, max_value=100),
)
def test_ranges_cover_the_period_exactly_once(start: date, days: int, max_days: int) -> None:
    period = DateRange(start, start + timedelta(days=days - 1))
    ranges = split_period(period, max_days)
    assert ranges[0].start == period.start
    assert ranges[-1].end == period.end
    assert all(1 <= r.days <= max_days for r in ranges)
    for before, after in itertools.pairwise(ranges):
        assert after.start == before.end + timedelta(days=1)
    assert len(ranges) == -(-days // max_days)  # as few ranges as possible


@given(
    ids=st.lists(st.integers(min_value=1, max_value=10**9), min_size=1, max_size=60, unique=True),
    size=st.integers(min_value=1, max_value=12),
)
def test_groups_keep_every_campaign_once_in_order(ids: list[int], size: int) -> None:
    names = [str(i) for i in ids]
    groups = split_campaigns(names, size)
    assert [c for g in groups for c in g] == names
    assert all(1 <= len(g) <= size for g in groups)


def test_account_reports_have_one_campaignless_batch_per_range() -> None:
    request = ReportRequest.build(
        campaigns=None, date_from="2026-01-01", date_to="2026-04-10", kind="search_promo_orders"
    )
    batches = plan_batches(request)
    assert [b.campaigns for b in batches] == [(), ()]
    assert submit_arguments(request, batches[0]) == {
        "from": "2026-01-01T00:00:00Z",
        "to": "2026-03-03T23:59:59Z",
    }


def test_submit_arguments_of_a_statistics_batch() -> None:
    request = _request(2, 3, group_by="date")
    (batch,) = plan_batches(request)
    assert submit_arguments(request, batch) == {
        "campaigns": ["1000", "1001"],
        "dateFrom": "2026-01-01",
        "dateTo": "2026-01-03",
        "groupBy": "DATE",
    }


def test_defaults_and_parsed_names() -> None:
    request = _request(1, 1)
    assert request.kind is ReportKind.STATISTICS
    assert request.group_by == "NO_GROUP_BY"
    assert request.detail is Detail.ROWS
    assert ReportKind.parse("Search-Promo-Products") is ReportKind.SEARCH_PROMO_PRODUCTS


@pytest.mark.parametrize(
    ("arguments", "named"),
    [
        ({"date_from": "2026-1-1"}, "date_from"),
        ({"date_to": "31.03.2026"}, "date_to"),
        ({"date_from": "2026-04-01", "date_to": "2026-03-01"}, "date_to"),
        ({"campaigns": []}, "campaigns"),
        ({"campaigns": ["12a"]}, "campaigns"),
        ({"group_by": "DAY"}, "group_by"),
        ({"kind": "banners"}, "kind"),
        ({"detail": "all"}, "detail"),
        ({"kind": "search_promo_orders"}, "campaigns"),
    ],
)
def test_bad_input_names_the_argument(arguments: dict[str, object], named: str) -> None:
    values: dict[str, object] = {
        "campaigns": ["1"],
        "date_from": "2026-01-01",
        "date_to": "2026-01-31",
        **arguments,
    }
    with pytest.raises(ReportInputError, match=rf"^{named}:"):
        ReportRequest.build(**values)  # type: ignore[arg-type]


def test_repeated_campaigns_are_counted_once() -> None:
    request = ReportRequest.build(
        campaigns=["5", 5, "6"], date_from="2026-01-01", date_to="2026-01-01"
    )
    assert request.campaigns == ("5", "6")


def test_a_batch_names_its_scope() -> None:
    batch = Batch(1, 1, (), DateRange(date(2026, 1, 1), date(2026, 1, 2)))
    assert batch.describe() == "batch 1/1 (the account, 2026-01-01..2026-01-02)"
