"""A macro written for DuckDB and Postgres only stops the compile on another engine, naming what to add."""

from __future__ import annotations

import json
from pathlib import Path

from .crafted_warehouse import dbt_command


def test_a_missing_engine_variant_names_the_macro_to_add(tmp_path: Path) -> None:
    arguments = json.dumps({"macro_name": "says_any_word", "file_name": "says_any_word.sql"})
    result = dbt_command(
        "run-operation",
        "raise_missing_variant",
        "--args",
        arguments,
        warehouse=tmp_path / "vsm.duckdb",
        target=tmp_path,
    )
    assert result.returncode != 0
    assert (
        "says_any_word has no variant for duckdb: add a macro duckdb__says_any_word in "
        "dbt_project/macros/says_any_word.sql"
    ) in result.stdout
