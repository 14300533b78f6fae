"""The issue's targets for ozon-mcp, checked against a results document.

Correctness targets must hold in every repetition, for ours on httpx and on httpx2. Cost targets
use the medians of the per-repetition ratios to the floor. "Within noise" (S2, S2s) means the
ratio exceeds 1 by no more than the floor's own spread across repetitions ((max - min) / median,
at least 2 %).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable
from dataclasses import dataclass

from benchmarks.results import Results

Rep = dict[str, object]

OURS = ("ours", "ours-httpx2")
S3_DURATION, S3_LIFETIME = 8.0, 3.0
LEAN_LIMIT = 30_000  # bytes: issue 13's bound for the 40 Ozon tools with lean descriptions


@dataclass(frozen=True)
class Target:
    """One target: what the issue asks, what was measured, whether it is met."""

    scenario: str
    goal: str
    measured: str
    met: bool


def _reps(results: Results, scenario: str, key: str) -> list[Rep]:
    entry = results.get(scenario, {}).get(key, {})
    reps = entry.get("reps", [])
    return reps if isinstance(reps, list) else []


def _every(results: Results, scenario: str, test: Callable[[Rep], bool]) -> bool:
    found = [rep for key in OURS for rep in _reps(results, scenario, key)]
    return bool(found) and all(test(rep) for rep in found)


def _values(results: Results, scenario: str, metric: str) -> str:
    parts = []
    for key in OURS:
        shown = [_shown(rep.get(metric)) for rep in _reps(results, scenario, key)]
        parts.append(f"{key}: {', '.join(shown)}")
    return "; ".join(parts)


def _shown(value: object) -> str:
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def _storm_limit(margin: float) -> int:
    """Token requests one client needs in S3: the first one plus one per refresh interval."""
    interval = S3_LIFETIME - margin if 2 * margin < S3_LIFETIME else S3_LIFETIME / 2
    return math.ceil(S3_DURATION / interval) + 1


def _n(rep: Rep, key: str, default: float = math.inf) -> float:
    """A numeric metric of one repetition (`default` when absent or not a number)."""
    value = rep.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return default
    return float(value)


def _no_failures(rep: Rep) -> bool:
    return rep.get("status_401") == 0 and rep.get("failed_calls") == 0


# (scenario, goal, metric shown as "measured", test of one repetition)
CHECKS: tuple[tuple[str, str, str, Callable[[Rep], bool]], ...] = (
    ("S1", "one token request for a cold herd, every call succeeds", "token_requests",
     lambda r: _n(r, "token_requests") == 1 and _no_failures(r)),
    ("S1b", "no event-loop stall above 20 ms", "max_stall_ms",
     lambda r: _n(r, "max_stall_ms") <= 20.0),
    ("S3", f"no 401, no failed call, <= {_storm_limit(1.0)} token requests", "token_requests",
     lambda r: _no_failures(r) and _n(r, "token_requests") <= _storm_limit(1.0)),
    ("S3d", f"default margin: no storm (<= {_storm_limit(60.0)} token requests), no 401",
     "token_requests",
     lambda r: _no_failures(r) and _n(r, "token_requests") <= _storm_limit(60.0)),
    ("S4", "first call succeeds through two 503s", "attempts",
     lambda r: r.get("first_call_ok") is True),
    ("S4r", "no failed call when the refresh fails", "failed_calls",
     lambda r: _n(r, "failed_calls") == 0),
    ("S5", "Retry-After honoured and the first call succeeds", "retry_gap_s",
     lambda r: r.get("retry_after_honoured") is True),
    ("S6", "revoked token recovered within the same call, no 401 seen", "recovered",
     lambda r: r.get("recovered") is True and _n(r, "status_401") == 0),
    ("S7a", "malformed answer: an error naming the token endpoint and the defect",
     "clear_error", lambda r: r.get("clear_error") is True),
    ("S7b", "missing expires_in: token refreshed in time (late call succeeds)",
     "late_call_ok",
     lambda r: r.get("first_call_ok") is True and r.get("late_call_ok") is True),
    ("S7c", 'expires_in "1800.0" accepted', "first_call_ok",
     lambda r: r.get("first_call_ok") is True),
)  # fmt: skip


def _correctness(results: Results) -> list[Target]:
    return [
        Target(scenario, goal, _values(results, scenario, metric), _every(results, scenario, test))
        for scenario, goal, metric, test in CHECKS
        if scenario in results
    ]


def _floor_noise(results: Results, scenario: str, floor: str) -> float:
    values = [_n(rep, "us_per_call") for rep in _reps(results, scenario, floor)]
    values = [value for value in values if math.isfinite(value)]
    if len(values) < 2:
        return 0.02
    return max(0.02, (max(values) - min(values)) / statistics.median(values))


def _costs(results: Results) -> list[Target]:
    targets = []
    for scenario in ("S2", "S2s", "S2m"):
        if scenario not in results:
            continue
        for key, floor in (("ours", "floor"), ("ours-httpx2", "floor-httpx2")):
            ratio = results[scenario].get(key, {}).get("ratio_to_floor")
            if not isinstance(ratio, float):
                continue
            if scenario == "S2m":
                limit, goal = 1.03, "client-side overhead <= 1.03x the floor"
            else:
                limit = 1 + _floor_noise(results, scenario, floor)
                goal = f"within noise of the floor (<= {limit:.3f}x)"
            targets.append(Target(f"{scenario} {key}", goal, f"{ratio:.3f}x", ratio <= limit))
    return targets


def _mcp(results: Results) -> list[Target]:
    ours = results.get("MCP", {}).get("ours")
    if not ours:
        return []
    fastmcp = results["MCP"].get("fastmcp", {})
    slow = results["MCP"].get("ours-slow-token", {})

    def ratio(metric: str) -> float:
        value = ours.get(f"{metric}_ratio")
        return float(value) if isinstance(value, float) else math.nan

    rows = [
        ("M1", "<= 1.2x the floor", ratio("m1_ms"), ratio("m1_ms") <= 1.2),
        (
            "M2 c1",
            ">= 0.9x the floor's calls/s",
            ratio("m2_c1_calls_per_s"),
            ratio("m2_c1_calls_per_s") >= 0.9,
        ),
        (
            "M2 c20",
            ">= 0.9x the floor's calls/s",
            ratio("m2_c20_calls_per_s"),
            ratio("m2_c20_calls_per_s") >= 0.9,
        ),
        ("M2 c1 p99", "<= 1.2x the floor", ratio("m2_c1_p99_ms"), ratio("m2_c1_p99_ms") <= 1.2),
        ("M2 c20 p99", "<= 1.2x the floor", ratio("m2_c20_p99_ms"), ratio("m2_c20_p99_ms") <= 1.2),
        ("M3", "<= 1.2x the floor", ratio("m3_peak_rss_mib"), ratio("m3_peak_rss_mib") <= 1.2),
    ]
    targets = [Target(name, goal, f"{value:.2f}x", met) for name, goal, value, met in rows]
    m4 = ours.get("m4_spec_bytes_ratio_to_fastmcp")
    documented = ours.get("params_documented") == ours.get("params")
    if isinstance(m4, float):
        targets.append(
            Target(
                "M4",
                "the spec's tools in <= 0.5x FastMCP's bytes, every parameter documented",
                f"{m4:.2f}x FastMCP; {ours.get('params_documented')}/{ours.get('params')} params "
                f"documented (FastMCP {fastmcp.get('params_documented')}/{fastmcp.get('params')})",
                m4 <= 0.5 and documented,
            )
        )
    lean = ours.get("m4_spec_bytes")
    if isinstance(lean, int | float) and not isinstance(lean, bool):
        targets.append(
            Target(
                "M4 lean",
                f"the {ours.get('spec_tools')} spec tools' tools/list <= {LEAN_LIMIT:,} bytes "
                "(default descriptions)",
                f"{lean:,.0f} bytes",
                lean <= LEAN_LIMIT,
            )
        )
    slow_m1, m1 = slow.get("m1_ms"), ours.get("m1_ms")
    if isinstance(slow_m1, float) and isinstance(m1, float):
        targets.append(
            Target(
                "M1 slow token",
                "a 1 s token endpoint adds < 250 ms to M1 (fetch in background)",
                f"{slow_m1:.0f} ms vs {m1:.0f} ms",
                slow_m1 - m1 < 250,
            )
        )
    return targets


def evaluate(results: Results) -> list[Target]:
    """Every target the results allow to check."""
    return _correctness(results) + _costs(results) + _mcp(results)
