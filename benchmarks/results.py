"""Turning per-repetition metrics into the results document: medians and ratios to the floor.

`Runs` holds what each repetition measured: `runs[scenario][contender] = [metrics, ...]`. The
results document is `{scenario: {contender: {metric: value}}}`: numbers are medians across
repetitions, booleans are true only if true in every repetition, texts are the first non-empty
one; `reps` keeps every repetition's raw metrics, and `*_ratio*` metrics are medians of the
per-repetition ratios to the floor measured in the same repetition (for S2*: `ratio_to_floor` from
wall time, `cpu_ratio_to_floor` from the benchmark process's CPU time).
"""

from __future__ import annotations

import statistics
from collections.abc import Callable

Metrics = dict[str, object]
Runs = dict[str, dict[str, list[Metrics]]]
Results = dict[str, dict[str, dict[str, object]]]

COST_SCENARIOS = ("S2", "S2s", "S2m")
MCP_RATIOS = {
    # metric: higher_is_better (the ratio is always contender / floor)
    "m1_ms": False,
    "m2_c1_calls_per_s": True,
    "m2_c1_p99_ms": False,
    "m2_c1_server_cpu_us_per_call": False,
    "m2_c20_calls_per_s": True,
    "m2_c20_p99_ms": False,
    "m2_c20_server_cpu_us_per_call": False,
    "m3_peak_rss_mib": False,
    "m4_bytes": False,
}


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def aggregate(reps: list[Metrics]) -> dict[str, object]:
    """One contender's repetitions folded into one metrics dict (see the module docstring)."""
    folded: dict[str, object] = {}
    keys = [key for rep in reps for key in rep]
    for key in dict.fromkeys(keys):
        values = [rep[key] for rep in reps if key in rep]
        if all(isinstance(value, bool) for value in values):
            folded[key] = all(values)
        elif all(_is_number(value) for value in values):
            folded[key] = statistics.median(values)  # type: ignore[type-var]
        else:
            folded[key] = next((value for value in values if value not in ("", None)), "")
    folded["reps"] = reps
    return folded


def per_rep_ratios(
    runs: dict[str, list[Metrics]], contender: str, floor: str, metric: str
) -> list[float]:
    """contender / floor for each repetition in which both measured `metric`."""
    ratios = []
    for mine, base in zip(runs.get(contender, []), runs.get(floor, []), strict=False):
        value, reference = mine.get(metric), base.get(metric)
        if _is_number(value) and _is_number(reference) and reference:
            ratios.append(float(value) / float(reference))  # type: ignore[arg-type]
    return ratios


def _add_ratio(folded: dict[str, object], name: str, ratios: list[float]) -> None:
    if ratios:
        folded[name] = statistics.median(ratios)
        folded[f"{name}_reps"] = ratios


def build_results(runs: Runs, floor_of: Callable[[str], str | None]) -> Results:
    """The results document; `floor_of(contender)` names the floor for the cost ratios."""
    results: Results = {}
    for scenario, by_contender in runs.items():
        results[scenario] = {key: aggregate(reps) for key, reps in by_contender.items()}
        if scenario in COST_SCENARIOS:
            for key, folded in results[scenario].items():
                floor = floor_of(key)
                if floor is not None:
                    ratios = per_rep_ratios(by_contender, key, floor, "us_per_call")
                    _add_ratio(folded, "ratio_to_floor", ratios)
                    ratios = per_rep_ratios(by_contender, key, floor, "cpu_us_per_call")
                    _add_ratio(folded, "cpu_ratio_to_floor", ratios)
        if scenario == "MCP":
            for key, folded in results[scenario].items():
                for metric in MCP_RATIOS:
                    _add_ratio(
                        folded,
                        f"{metric}_ratio",
                        per_rep_ratios(by_contender, key, "floor", metric),
                    )
                # The spec's tools alone: ours also lists tools of its own (see mcp_level.py).
                ratios = per_rep_ratios(by_contender, key, "fastmcp", "m4_spec_bytes")
                _add_ratio(folded, "m4_spec_bytes_ratio_to_fastmcp", ratios)
    return results
