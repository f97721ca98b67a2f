"""dbt model conventions that carry performance, read from the model files (one test compiles).

Import CTEs (`name as (select * from {{ ref(...) }})`, also `source` and `this`) are marked
`{{ not_materialized() }}` (dbt/macros/cross_db/not_materialized.sql): DuckDB otherwise copies
the whole relation whenever a model reads the CTE twice.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dagster_project.runtime.settings import DBT_PROJECT_DIR

MODELS = sorted((DBT_PROJECT_DIR / "models").rglob("*.sql"))
# A CTE whose body starts by selecting everything from a dbt relation: the import CTE.
IMPORT_CTE = re.compile(
    r"^\s*(?P<name>\w+) as (?P<marker>\{\{ not_materialized\(\) \}\} )?\(\s*"
    r"select \* from \{\{ (?:ref|source|this)\b", re.MULTILINE)


def import_ctes(sql: str) -> list[tuple[str, bool]]:
    """(name, marked) of every import CTE in a model's source."""
    return [(m["name"], m["marker"] is not None) for m in IMPORT_CTE.finditer(sql)]


def test_the_pattern_finds_marked_and_unmarked_import_ctes() -> None:
    sql = """
with

items as {{ not_materialized() }} (

    select * from {{ ref('stg_erp__items') }}

),

previous as (

    select * from {{ this }}

),

counted as (

    select count(*) as n from items

)

select * from counted
"""
    assert import_ctes(sql) == [("items", True), ("previous", False)]


@pytest.mark.parametrize("model", MODELS, ids=lambda p: p.stem)
def test_import_ctes_are_not_materialized(model: Path) -> None:
    unmarked = [name for name, marked in import_ctes(model.read_text()) if not marked]
    assert not unmarked, (
        f"{model.relative_to(DBT_PROJECT_DIR)}: import CTE(s) {unmarked} without "
        "{{ not_materialized() }} (macros/cross_db/not_materialized.sql)")


def test_the_pattern_still_matches_most_models() -> None:
    """The pattern still matches the house style: most models start with import CTEs."""
    with_imports = [m for m in MODELS if import_ctes(m.read_text())]
    assert len(with_imports) >= len(MODELS) * 3 // 4, len(with_imports)


def test_duckdb_reads_import_ctes_where_they_are_used(tmp_path: Path) -> None:
    """Compiled for DuckDB, the marker is DuckDB's keyword (Spark's rendering is empty: its
    compile runs in `make test-spark`)."""
    from tests.dbt_harness import run_dbt

    run_dbt(tmp_path / "empty.duckdb",
            ["compile", "--select", "int_goods_receipts__netted", "--no-populate-cache"],
            tmp_path)
    compiled = next((tmp_path / "dbt_target" / "compiled").rglob(
        "int_goods_receipts__netted.sql")).read_text()
    assert re.search(r"^goods_receipts as not materialized \(", compiled, re.MULTILINE)
