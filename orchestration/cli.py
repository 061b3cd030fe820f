"""`vsm`: refresh the warehouse, serve the demo tracker, print the metrics.

Every command fails with one readable line that says what to fix, never a stack trace.
"""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from . import paths

if TYPE_CHECKING:
    from dagster import DagsterInstance

logger = logging.getLogger("vsm")


class CliError(RuntimeError):
    """An error whose message is the whole story for the user."""


def _prepare_environment(warehouse: str | None) -> Path:
    """Pin every path a run uses to absolute ones, so dbt, dlt and Dagster agree whatever the cwd."""
    if warehouse:
        os.environ["VSM_WAREHOUSE"] = warehouse
    path = paths.warehouse_path()
    os.environ["VSM_WAREHOUSE"] = str(path)
    os.environ.setdefault("DAGSTER_HOME", str(paths.PROJECT_ROOT))
    storage = paths.dagster_storage_dir()
    os.environ.setdefault("VSM_DAGSTER_STORAGE", str(storage))
    os.environ.setdefault("VSM_DAGSTER_COMPUTE_LOGS", str(storage / "compute_logs"))
    os.environ.setdefault("DAGSTER_TELEMETRY_DISABLED", "1")
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")  # dlt does not read DO_NOT_TRACK
    path.parent.mkdir(parents=True, exist_ok=True)
    storage.mkdir(parents=True, exist_ok=True)
    return path


def ensure_dbt_manifest() -> Path:
    """Parse the dbt project when its manifest is missing or older than any model, seed or macro.

    Under a lock: two `vsm` processes started together would otherwise both parse, and one could read the
    manifest while the other is still writing it.
    """
    from .warehouse import exclusive_lock

    project = paths.DBT_PROJECT_DIR
    manifest = project / "target" / "manifest.json"
    with exclusive_lock(manifest, wait_message="waiting for another vsm to parse the dbt project"):
        if not _manifest_is_current(project, manifest):
            _parse_dbt_project(project)
    return manifest


def _manifest_is_current(project: Path, manifest: Path) -> bool:
    sources = [p for folder in ("models", "seeds", "macros", "tests") for p in (project / folder).rglob("*")]
    sources.append(project / "dbt_project.yml")
    newest = max((p.stat().st_mtime for p in sources if p.is_file()), default=0.0)
    return manifest.exists() and manifest.stat().st_mtime >= newest


def _parse_dbt_project(project: Path) -> None:
    dbt = Path(sys.executable).parent / "dbt"
    result = subprocess.run(
        [str(dbt), "parse", "--project-dir", str(project), "--profiles-dir", str(project), "--quiet"],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise CliError(f"dbt could not parse dbt_project/:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")


def _preflight_jira() -> None:
    """Fail at once, naming the setting to fix, when a configured Jira refuses the credentials."""
    from .resources import jira_is_configured

    if not jira_is_configured():
        return
    import dlt

    from ingestion.jira import JiraError, JiraSettings, connect

    config = dlt.config
    secrets = dlt.secrets
    try:
        connect(
            JiraSettings(
                base_url=str(config.get("sources.jira.base_url")),
                email=config.get("sources.jira.email"),
                api_token=secrets.get("sources.jira.api_token"),
                personal_access_token=secrets.get("sources.jira.personal_access_token"),
                deployment=config.get("sources.jira.deployment") or "auto",
            )
        )
    except JiraError as error:
        raise CliError(str(error)) from None


def refresh(as_of: str | None, full: bool, warehouse: str | None) -> int:
    """Run every asset in-process through Dagster: ingest, build, check."""
    from .resources import normalise_as_of

    if as_of:
        try:
            normalise_as_of(as_of)
        except ValueError as error:
            raise CliError(str(error)) from None
    path = _prepare_environment(warehouse)
    ensure_dbt_manifest()
    _preflight_jira()

    from dagster import materialize

    from .definitions import defs
    from .resources import WarehouseResource

    resources = dict(defs.resources)
    resources["warehouse"] = WarehouseResource(path=str(path), as_of=as_of or "", full_refresh=full)
    # Every asset and the data-quality checks that gate publication (freshness checks run from their sensor).
    from .checks import dq_asset_checks

    assets = [*(defs.assets or []), *dq_asset_checks]
    started = time.perf_counter()
    print(f"Refreshing {path} ({'full rebuild' if full else 'incremental'}; as-of {as_of or 'now'}) ...")
    with _dagster_instance() as instance:
        from .liveness import fail_runs_of_gone_workers

        for run_id in fail_runs_of_gone_workers(instance):
            print(f"Marked run {run_id} failed: its process ended without finishing it.")
        result = materialize(
            assets,
            instance=instance,
            resources=resources,
            raise_on_error=False,
            run_config={
                "loggers": {"console": {"config": {"log_level": os.environ.get("VSM_LOG_LEVEL", "INFO")}}}
            },
            tags={"vsm/writes-warehouse": "true", "vsm/trigger": "cli"},
        )
    if not result.success:
        from .failures import outcome

        raise CliError(f"{outcome(result.all_events)}\n{_failure_summary(result)}")
    print(f"Refreshed in {time.perf_counter() - started:.1f} s. Warehouse: {path}")
    report_path = path.parent / "flow-report.html"
    if report_path.exists():
        print(f"Flow report: {report_path}")
    from .report import print_findings

    print_findings(path)
    return 0


def _dagster_instance() -> DagsterInstance:
    """The instance `dagster.yaml` configures, created under a lock on its storage folder.

    Creating the instance creates its SQLite tables when the folder is new; two `vsm refresh` started at the
    same moment would both try (`table runs already exists`). The warehouse lock comes later, in the run.
    """
    from dagster import DagsterInstance

    from .warehouse import exclusive_lock

    waiting = "waiting for another vsm to set up Dagster's storage"
    with exclusive_lock(paths.dagster_storage_dir() / "instance", wait_message=waiting):
        return DagsterInstance.get()


def _failure_summary(result: object) -> str:
    """The failed steps and their error messages, without the framework's stack frames."""
    from .failures import failure_lines

    lines = failure_lines(result.all_events)  # type: ignore[attr-defined]
    return "\n".join(f"  {line}" for line in lines) or "  (no step failure recorded; see the Dagster run log)"


def demo(issues: int, seed: int, port: int) -> int:
    """Serve the demo tracker on 127.0.0.1 until interrupted."""
    from ingestion.demo import DemoOrganisation, DemoTracker

    organisation = DemoOrganisation(seed=seed, issues=issues)
    with DemoTracker(organisation, port=port) as tracker:
        print(f"Demo Jira tracker serving {issues:,} issues at {tracker.url}")
        print(f"  user {tracker.email}  token {tracker.api_token}  (demo credentials, not secrets)")
        print(f"  SOURCES__JIRA__BASE_URL={tracker.url} SOURCES__JIRA__EMAIL={tracker.email} \\")
        print(f"  SOURCES__JIRA__API_TOKEN={tracker.api_token} vsm refresh")
        print(f"GitHub repository {tracker.github_repository} at {tracker.github_url} (same token)")
        print(f"GitLab project {tracker.gitlab_project} at {tracker.gitlab_url} (same token)")
        print("Press Ctrl-C to stop.")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            print("stopped")
    return 0


def summary(value_stream: str | None, period: str | None, output_format: str, warehouse: str | None) -> int:
    from .report import print_summary

    path = _prepare_environment(warehouse)
    if not path.exists():
        raise CliError(f"no warehouse at {path}: run `vsm refresh` (or `make run`) first.")
    from .report import value_streams

    known = value_streams(path)
    if value_stream and value_stream not in known:
        raise CliError(f"no value stream named {value_stream!r}; the warehouse has: {', '.join(known)}")
    print_summary(path, value_stream=value_stream, period=period, output_format=output_format)
    return 0


def report(value_stream: str | None, out: str | None, months: int, warehouse: str | None) -> int:
    """Write the flow report: one self-contained HTML file of the Flow Metrics charts."""
    from .flow_report import write_flow_report

    path = _prepare_environment(warehouse)
    if not path.exists():
        raise CliError(f"no warehouse at {path}: run `vsm refresh` (or `make run`) first.")
    target = Path(out) if out else path.parent / "flow-report.html"
    print(f"Flow report: {write_flow_report(path, target, value_stream=value_stream, months=months)}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vsm", description="Open flow-metrics warehouse (Flow Framework metrics)."
    )
    parser.add_argument(
        "--warehouse", help="DuckDB warehouse file (default: $VSM_WAREHOUSE or warehouse/vsm.duckdb)"
    )
    commands = parser.add_subparsers(dest="command", required=True)

    refresh_parser = commands.add_parser("refresh", help="ingest, build facts and marts, run the checks")
    refresh_parser.add_argument(
        "--as-of", help="the instant the metrics describe (ISO, UTC if no zone; default now)"
    )
    refresh_parser.add_argument(
        "--full", action="store_true", help="drop raw data and state, rebuild from scratch"
    )

    demo_parser = commands.add_parser("demo", help="serve the demo Jira, GitHub and GitLab on 127.0.0.1")
    demo_parser.add_argument("--issues", type=int, default=3000)
    demo_parser.add_argument("--seed", type=int, default=7)
    demo_parser.add_argument("--port", type=int, default=8765)

    summary_parser = commands.add_parser("summary", help="print the Flow Metrics")
    summary_parser.add_argument("--value-stream")
    summary_parser.add_argument("--period", choices=["day", "week", "month", "quarter"])
    summary_parser.add_argument("--format", dest="output_format", choices=["table", "json"], default="table")

    report_parser = commands.add_parser("report", help="write the flow report (one self-contained HTML file)")
    report_parser.add_argument("--value-stream")
    report_parser.add_argument("--out", help="HTML file (default: flow-report.html beside the warehouse)")
    report_parser.add_argument("--months", type=int, default=6, help="window of the charts (default 6)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # Dagster prints its own run log, the sources' lines included (dagster.yaml's `python_logs`); this handler
    # only surfaces warnings from libraries (dlt, requests).
    handler = logging.StreamHandler()
    handler.setLevel(logging.WARNING)
    handler.addFilter(lambda record: not record.name.startswith("ingestion"))
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logging.getLogger().addHandler(handler)
    try:
        if args.command == "refresh":
            return refresh(args.as_of, args.full, args.warehouse)
        if args.command == "demo":
            return demo(args.issues, args.seed, args.port)
        if args.command == "report":
            return report(args.value_stream, args.out, args.months, args.warehouse)
        return summary(args.value_stream, args.period, args.output_format, args.warehouse)
    except CliError as error:
        print(f"vsm: {error}", file=sys.stderr)
        return 1
    except ValueError as error:
        from .schedules import ScheduleSettingError

        if not isinstance(error, ScheduleSettingError):
            raise
        print(f"vsm: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
