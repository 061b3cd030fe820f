"""Dagster resources: the warehouse file, the tracker to read, and the dbt and dlt runners."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import cached_property
from importlib import metadata
from pathlib import Path
from typing import Any

import dlt
from dagster import ConfigurableResource, Failure, InitResourceContext, get_dagster_logger
from dagster_dbt import DbtCliResource
from packaging.version import Version
from pydantic import PrivateAttr

from . import paths, warehouse
from .liveness import WORKER_TAG, this_worker
from .retries import prepare_retries

# Dagster tags every run of a backfill with its id.
BACKFILL_TAG = "dagster/backfill"


# Dagster's tag on a re-execution "from asset failure", which runs only the failed assets and what follows.
ASSET_RESUME_RETRY_TAG = "dagster/is_asset_resume_retry"


def refuse_partial_rebuild(
    parent_run_id: str | None, step_keys: Sequence[str] | None, tags: Mapping[str, str]
) -> None:
    """A rebuild from scratch re-executed from its failed step would start from an empty warehouse without
    ingesting, and publish whatever the remaining steps build from nothing."""
    partial = step_keys is not None or tags.get(ASSET_RESUME_RETRY_TAG) == "true"
    if parent_run_id is not None and partial:
        raise Failure(
            f"This run re-executes only some steps of run {parent_run_id}, a rebuild from scratch: it would "
            "start from an empty warehouse without ingesting. Launch the rebuild again with all its steps."
        )


# The setting that lists what a git host's source reads: `sources.<host>.<setting>`.
GIT_SCOPE_SETTINGS = {"github": "repositories", "gitlab": "projects"}


def git_host_has_a_setting(host: str) -> bool:
    """Whether a token or a scope is set for a git host. For a host that is not configured in full (ask
    `github_is_configured` / `gitlab_is_configured` first), that is a broken configuration (a secret missing
    from this environment?), not a host the user left."""
    token = dlt.secrets.get(f"sources.{host}.access_token")
    return bool(token) or bool(dlt.config.get(f"sources.{host}.{GIT_SCOPE_SETTINGS[host]}"))


class WarehouseResource(ConfigurableResource):
    """The DuckDB warehouse a run refreshes, and the run's as-of instant and refresh mode.

    A run works on its own copy of the published file (see `orchestration.warehouse`) and holds the
    warehouse lock for its whole duration, so a second run waits instead of writing at the same time.
    """

    path: str = ""
    as_of: str = ""
    full_refresh: bool = False
    _run_id: str | None = PrivateAttr(default=None)
    _published: bool = PrivateAttr(default=False)
    _backfill: bool = PrivateAttr(default=False)

    @contextmanager
    def yield_for_execution(self, context: InitResourceContext) -> Iterator[WarehouseResource]:
        published = self.published_path()
        if context.dagster_run is not None:  # so a run whose process is killed can be told from a live one
            context.instance.add_run_tags(context.run_id, {WORKER_TAG: this_worker(context.run_id)})
        with warehouse.exclusive_lock(published):
            warehouse.discard(published)  # leftovers of crashed runs
            self._run_id = context.run_id
            self._published = False
            run = context.dagster_run
            prepare_retries(context.instance, run)
            self._backfill = run is not None and BACKFILL_TAG in run.tags
            if self.from_scratch and run is not None:
                # Its automatic retry (all steps: `prepare_retries`) is the whole rebuild, or refused again.
                refuse_partial_rebuild(run.parent_run_id, run.step_keys_to_execute, run.tags)
            try:
                yield self
            finally:
                # A failed run's folder (dbt logs, dlt trace) stays for inspection until the next run starts.
                if self._published:
                    warehouse.discard(published)

    @property
    def from_scratch(self) -> bool:
        """Whether this run rebuilds from an empty warehouse: `vsm refresh --full`, the resource config
        `full_refresh: true`, or a run that is part of a Dagster backfill."""
        return self.full_refresh or self._backfill

    def published_path(self) -> Path:
        """The file BI tools read: `path`, else `$VSM_WAREHOUSE`, else `warehouse/vsm.duckdb`."""
        if self.path:
            return Path(self.path).resolve()
        return paths.warehouse_path()

    def working_copy(self) -> warehouse.WorkingCopy:
        """This run's private copy of the warehouse, which every step of the run writes."""
        if self._run_id is None:
            raise RuntimeError("the warehouse resource is used outside a Dagster run")
        return warehouse.open_working_copy(
            self.published_path(), self._run_id, from_scratch=self.from_scratch
        )

    def dlt_pipeline(self, pipeline_name: str = "vsm_jira", dataset_name: str = "raw_jira") -> dlt.Pipeline:
        """A dlt pipeline landing raw tracker data in this run's working copy.

        dlt's local working directory lives in the run's folder too: its state is restored from the
        warehouse (dlt keeps it in `_dlt_pipeline_state`), so a crashed run leaves nothing half-loaded behind.
        """
        from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials

        copy = self.working_copy()
        # Arrow pages get dlt's load id too, so staging can tell which load a row came from.
        dlt.config["normalize.parquet_normalizer.add_dlt_load_id"] = True
        credentials = DuckDbCredentials(str(copy.path))
        # dlt's merge de-duplicates staged rows (issues; changelog rows when a run read an issue twice):
        # without a limit DuckDB keeps up to 80% of RAM.
        credentials.global_config = {"memory_limit": paths.dlt_duckdb_memory_limit()}
        return dlt.pipeline(
            pipeline_name=pipeline_name,
            pipelines_dir=str(copy.directory / "dlt"),
            destination=dlt.destinations.duckdb(credentials),
            dataset_name=dataset_name,
            progress="log",
        )

    def dbt_environment(self) -> dict[str, str]:
        """What dbt reads from the environment for this run: the working copy and the as-of instant.

        Both reach dbt as environment variables rather than `--vars` or a run-specific path, because dbt
        re-parses the whole project (~5 s) whenever its `--vars` or its profile's values change: the path is
        the same for every run (see `warehouse.dbt_working_path`) and `VSM_AS_OF` is read only at execution.
        """
        return {
            "VSM_WAREHOUSE": str(warehouse.dbt_working_path(self.working_copy())),
            "VSM_AS_OF": normalise_as_of(self.as_of) if self.as_of else "",
        }

    def dbt_target_path(self) -> Path:
        """dbt's target folder for this warehouse, kept across runs so its partial parse carries over."""
        return warehouse.dbt_target_path(self.published_path())

    def publish(self) -> Path:
        path = warehouse.publish(self.working_copy())
        self._published = True
        return path


class VsmDbtCliResource(DbtCliResource):
    """dagster-dbt's dbt CLI resource without the two start-ups it pays before every dbt command.

    Before it starts dbt, `DbtCliResource.cli` runs `dbt --version` in a subprocess to learn the
    executable's version (~2 s here) and builds an in-process dbt adapter (~2 s) that only its row-count
    and column-metadata fetchers use. This project runs the dbt of its own environment, whose version is
    the installed dbt-core's, and uses neither fetcher: every refresh saves both, whatever its size.
    """

    @cached_property
    def _cli_version(self) -> Version:
        if Path(self.dbt_executable).parent != Path(sys.executable).parent:
            return super()._cli_version  # another environment's dbt: ask it, as dagster-dbt does
        return Version(metadata.version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args: Any) -> Any:
        return None


def normalise_as_of(value: str) -> str:
    """An ISO instant as naive UTC `YYYY-MM-DD HH:MM:SS`; a date alone means its midnight UTC."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as error:
        raise ValueError(
            f"--as-of {value!r} is not an ISO date or timestamp (e.g. 2026-11-01T00:00Z)"
        ) from error
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def jira_is_configured() -> bool:
    """True when the user pointed the Jira source at a tracker (env or dlt config/secrets files)."""
    if os.environ.get("SOURCES__JIRA__BASE_URL"):
        return True
    return bool(dlt.config.get("sources.jira.base_url"))


DEFAULT_DEMO_ISSUES = 3000
DEFAULT_DEMO_SEED = 7
DEMO_BROWSE_URL = "http://127.0.0.1:8765"


class TrackerResource(ConfigurableResource):
    """Which trackers to ingest: the configured ones, or else the built-in demo tracker on 127.0.0.1.

    Without a configured Jira (`SOURCES__JIRA__BASE_URL`), the demo tracker serves Jira, and also GitHub
    and GitLab unless the user configured those: the demo organisation's repository `demo-org/payments-api`
    and project `demo-group/mobile-app`. With a real Jira, only the git hosts the user configured are read;
    the demo never adds invented items to real data.

    The demo's size, seed and anchor day come from the fields, else `VSM_DEMO_ISSUES`, `VSM_DEMO_SEED`
    and `VSM_DEMO_ANCHOR` (an ISO date; default today), else 3000 issues with seed 7.
    """

    demo_issues: int = 0
    demo_seed: int = 0
    demo_anchor: str = ""

    def _demo_tracker(self) -> Any:
        """The demo tracker for this resource's organisation, not yet started."""
        from ingestion.demo import DemoOrganisation, DemoTracker

        issues = self.demo_issues or int(os.environ.get("VSM_DEMO_ISSUES") or DEFAULT_DEMO_ISSUES)
        seed = self.demo_seed or int(os.environ.get("VSM_DEMO_SEED") or DEFAULT_DEMO_SEED)
        anchor_text = self.demo_anchor or os.environ.get("VSM_DEMO_ANCHOR") or ""
        anchor = datetime.fromisoformat(anchor_text) if anchor_text else None
        if anchor is not None and anchor.tzinfo is None:
            anchor = anchor.replace(tzinfo=UTC)
        organisation = DemoOrganisation(seed=seed, issues=issues, anchor=anchor)
        # Git items link where `vsm demo` serves, so that links do not change with this run's port.
        return DemoTracker(organisation, browse_url=DEMO_BROWSE_URL)

    @contextmanager
    def source_arguments(self) -> Iterator[dict[str, Any]]:
        """Arguments for `jira_source`; while open, the demo tracker (if used) is serving."""
        if jira_is_configured():
            yield {}
            return
        with self._demo_tracker() as tracker:
            get_dagster_logger().info(
                "No Jira configured (SOURCES__JIRA__BASE_URL unset): reading the demo tracker at %s "
                "(%d issues, seed %d)",
                tracker.url,
                tracker.org.issues,
                tracker.org.seed,
            )
            yield {
                "base_url": tracker.url,
                "email": tracker.email,
                "api_token": tracker.api_token,
                # Links point where `vsm demo` serves, not at this run's ephemeral port.
                "browse_url": DEMO_BROWSE_URL,
            }

    @contextmanager
    def git_source_arguments(self, host: str) -> Iterator[dict[str, Any] | None]:
        """Arguments for `github_source` (`host="github"`) or `gitlab_source` (`"gitlab"`); None: skip it.

        `{}` (the source reads dlt config) when the user configured the host; the demo tracker's URL, token
        and repository or project, while it serves, when neither Jira nor the host is configured; None when
        a real Jira is configured and the host is not, or the host is configured only in part.
        """
        from ingestion.github import github_is_configured
        from ingestion.gitlab import gitlab_is_configured

        scope = GIT_SCOPE_SETTINGS[host]
        if (github_is_configured if host == "github" else gitlab_is_configured)():
            yield {}
            return
        if jira_is_configured() or git_host_has_a_setting(host):
            yield None
            return
        with self._demo_tracker() as tracker:
            if host == "github":
                name, base_url = tracker.github_repository, tracker.github_url
            else:
                name, base_url = tracker.gitlab_project, tracker.gitlab_url
            get_dagster_logger().info(
                "No %s configured and no Jira: reading the demo's %s from the demo tracker at %s",
                host,
                name,
                tracker.url,
            )
            yield {"base_url": base_url, "access_token": tracker.api_token, scope: name}
