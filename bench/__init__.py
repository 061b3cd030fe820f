"""Benchmarks of the warehouse at scale, measured side by side and recorded in `bench/RESULTS.md`.

Run with `make bench` (or `python -m bench --help`). Everything it writes besides RESULTS.md lives in
`bench/work/` (git-ignored): recorded tracker pages, scratch warehouses, the merged result store.
"""
