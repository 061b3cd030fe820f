"""Copy-on-write refreshes of the DuckDB warehouse: readers see the old state or the new one, never half.

A refresh never writes the published file. It takes the warehouse lock, copies the published file into a
private working directory, ingests and builds there, and publishes with one atomic `os.replace` only after
every step and blocking check passed. BI tools holding the old file open keep reading the old, complete
state; a crash or a failed check leaves the published file untouched, and the next refresh starts from it.
"""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

logger = logging.getLogger(__name__)

WORK_DIR_SUFFIX = ".refresh"
# The link in the work root to the folder of the run in progress (see `dbt_working_path`).
CURRENT_LINK_NAME = "current"


class WarehouseChangedError(RuntimeError):
    """The published file changed after this run copied it: publishing would lose the other run's work."""


@dataclass(frozen=True)
class WorkingCopy:
    """A run's private copy of the warehouse, and the published file's identity when it was taken."""

    published: Path
    path: Path
    source_signature: tuple[int, int] | None

    @property
    def directory(self) -> Path:
        return self.path.parent


def _signature(path: Path) -> tuple[int, int] | None:
    """Identity of the published file: inode and modification time in ns (None when absent)."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return stat.st_ino, stat.st_mtime_ns


def work_root(published: Path) -> Path:
    """The folder of a warehouse's working copies, `.<name>.refresh` beside it: one per warehouse, since each
    run clears its warehouse's leftovers, and two warehouses may share a folder."""
    return published.parent / f".{published.name}{WORK_DIR_SUFFIX}"


@contextmanager
def exclusive_lock(
    published: Path, wait_message: str = "waiting for another refresh to finish"
) -> Iterator[None]:
    """One refresh at a time per warehouse; a second one waits (DuckDB has one writer, and so do we)."""
    published.parent.mkdir(parents=True, exist_ok=True)
    lock_path = published.parent / f".{published.name}.lock"
    with lock_path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            logger.warning(wait_message)
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def open_working_copy(published: Path, run_id: str, *, from_scratch: bool = False) -> WorkingCopy:
    """The run's working copy, created on first use from the published file (or empty, from scratch).

    The copy keeps the published file's name so DuckDB's catalog name, which views refer to, stays the same.
    """
    directory = work_root(published) / run_id
    path = directory / published.name
    marker = directory / "source-signature"
    if path.exists() and marker.exists():
        inode, mtime = (int(part) for part in marker.read_text().split())
        signature = None if inode < 0 else (inode, mtime)
        return WorkingCopy(published, path, signature)
    directory.mkdir(parents=True, exist_ok=True)
    signature = _signature(published)
    if signature is not None and not from_scratch:
        shutil.copy2(published, path)
    marker.write_text(" ".join(str(part) for part in (signature or (-1, -1))))
    return WorkingCopy(published, path, signature)


def publish(copy: WorkingCopy) -> Path:
    """Checkpoint the working copy and atomically put it in place of the published file."""
    if _signature(copy.published) != copy.source_signature:
        raise WarehouseChangedError(
            f"{copy.published} changed while this refresh ran (another refresh published first); "
            "this run's result was not published: run `vsm refresh` again."
        )
    with duckdb.connect(str(copy.path)) as connection:
        connection.execute("checkpoint")
    wal = copy.path.with_name(copy.path.name + ".wal")
    if wal.exists():
        raise RuntimeError(f"{wal} still exists after a checkpoint: refusing to publish a partial file")
    os.replace(copy.path, copy.published)
    return copy.published


def has_table(path: Path, schema: str, table: str) -> bool:
    """Whether the DuckDB file at `path` holds `schema.table` (read-only; False when there is no file)."""
    if not path.exists():
        return False
    with duckdb.connect(str(path), read_only=True) as connection:
        found = connection.execute(
            "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
            [schema, table],
        ).fetchone()
    return bool(found and found[0])


def dbt_working_path(copy: WorkingCopy) -> Path:
    """The working copy as dbt sees it: the same path in every run (`.<name>.refresh/current/<name>`).

    dbt re-parses the whole project when a value of its profile changes, and the warehouse path is one of
    them: `current` is a link to this run's folder, so the path stays the same from run to run. Only the run
    holding the warehouse lock points it, and DuckDB resolves it, so its WAL and spill files land in the run's
    own folder.
    """
    link = work_root(copy.published) / CURRENT_LINK_NAME
    staged = link.with_name(f"{CURRENT_LINK_NAME}.{copy.directory.name}")
    staged.unlink(missing_ok=True)
    staged.symlink_to(copy.directory.name, target_is_directory=True)
    os.replace(staged, link)
    return link / copy.path.name


def dbt_target_path(published: Path) -> Path:
    """dbt's target folder for a warehouse, kept between runs: its `partial_parse.msgpack` spares a parse."""
    return published.parent / f".{published.name}.dbt_target"


def discard(published: Path, keep: str | None = None) -> None:
    """Remove working copies of finished or crashed runs (all but `keep`), and the link to the last one."""
    root = work_root(published)
    if not root.exists():
        return
    for entry in root.iterdir():
        if entry.is_symlink():
            entry.unlink(missing_ok=True)
        elif entry.name != keep:
            shutil.rmtree(entry, ignore_errors=True)
