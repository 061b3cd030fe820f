"""`python -m bench [--sizes 10000,100000] [--with-1m] [--scenarios ingest,build,...]`."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence

from orchestration.cli import ensure_dbt_manifest

from . import env, results
from .scenarios import FULL_REFRESH_TRACKER, ORDER, SCENARIOS


def _sizes(text: str) -> list[int]:
    try:
        sizes = sorted({int(part.replace("_", "")) for part in text.split(",") if part.strip()})
    except ValueError as error:
        message = f"--sizes takes comma-separated issue counts, not {text!r}"
        raise argparse.ArgumentTypeError(message) from error
    if not sizes or min(sizes) <= 0:
        raise argparse.ArgumentTypeError("--sizes needs at least one positive issue count")
    return sizes


def _scenarios(text: str) -> list[str]:
    chosen = [part.strip() for part in text.split(",") if part.strip()]
    unknown = sorted(set(chosen) - set(SCENARIOS))
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown scenario(s) {unknown}; choose from {', '.join(ORDER)}")
    return [name for name in ORDER if name in chosen]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--sizes",
        type=_sizes,
        default=[10_000, 100_000],
        help="issue counts (default 10000,100000)",
    )
    parser.add_argument("--with-1m", action="store_true", help="also measure 1,000,000 issues (long)")
    parser.add_argument(
        "--scenarios", type=_scenarios, default=list(ORDER), help=f"comma-separated: {','.join(ORDER)}"
    )
    parser.add_argument(
        "--full-refresh-from",
        choices=("live", "recorded"),
        default="live",
        help="full refresh reads the live demo tracker (default) or the replay of its recorded pages",
    )
    parser.add_argument("--render-only", action="store_true", help="rewrite RESULTS.md from stored results")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    sizes = sorted({*args.sizes, *([1_000_000] if args.with_1m else [])})
    FULL_REFRESH_TRACKER["mode"] = args.full_refresh_from
    store = results.load_store()
    started = time.perf_counter()
    if not args.render_only:
        print(
            f"bench: scenarios {', '.join(args.scenarios)} at {', '.join(f'{s:,}' for s in sizes)} issues; "
            f"load {env.load_average()}",
            file=sys.stderr,
        )
        # The first `vsm` command after a change to the dbt project parses it again (once, ~15 s): pay that
        # here, so that no measured run carries it.
        ensure_dbt_manifest()
        for name in args.scenarios:
            for measurement in SCENARIOS[name](sizes):
                verdict, margin = measurement.verdict()
                print(
                    f"  => {name} {measurement.size:,}: {measurement.metric} = "
                    f"{results.format_value(measurement.value, measurement.unit)} {verdict} {margin} "
                    f"(load {measurement.load[0]:.1f})",
                    file=sys.stderr,
                    flush=True,
                )
                store[measurement.key] = measurement
                results.save_store(store)
                env.RESULTS_PATH.write_text(results.render(store, {}))
    env.RESULTS_PATH.write_text(results.render(store, {}))
    print(f"bench: wrote {env.RESULTS_PATH} in {time.perf_counter() - started:,.0f} s", file=sys.stderr)
    return 0
