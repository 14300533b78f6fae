"""Token-manager scenarios S1-S7 (see docs/benchmarks.md for what each measures)."""
