"""`python -m bench`: run the benchmarks and write bench/RESULTS.md."""

from .cli import main

if __name__ == "__main__":  # recording workers are spawned and import this module again
    raise SystemExit(main())
