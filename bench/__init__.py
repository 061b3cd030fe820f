"""Benchmarks of the warehouse at scale, measured side by side and recorded in `bench/RESULTS.md`.

Run with `make bench` (or `python -m bench --help`). It keeps its measurements in `bench/results.json` (the
merged result store, tracked with RESULTS.md); everything else it writes lives in `bench/work/` (git-ignored):
recorded tracker pages, scratch warehouses, logs.
"""
