"""Mart contracts: one blocking asset check per suite expectations/marts__<model>.json.

They run after dbt builds a mart and before publishing; an ERROR failure stops the publish, so
the serving database stays as the last good run left it.
"""


from pathlib import Path

import dagster as dg

from dagster_project.contracts.suites import validate_table
from dagster_project.defs.contracts.results import CONTRACT_CHECK, check_result, record_outcomes
from dagster_project.resources import Warehouse
from dagster_project.runtime.settings import EXPECTATIONS_DIR

MART_SUITE_PREFIX = "marts__"


def build_mart_check(suite: Path) -> dg.AssetChecksDefinition:
    model = suite.stem.removeprefix(MART_SUITE_PREFIX)
    key = dg.AssetKey(["marts", model])

    @dg.asset_check(
        asset=key,
        name=CONTRACT_CHECK,
        blocking=True,
        description=f"Great Expectations suite {suite.name}; ERROR failures block publishing.",
    )
    def _mart_contract(
        context: dg.AssetCheckExecutionContext, warehouse: Warehouse
    ) -> dg.AssetCheckResult:
        with warehouse.connect() as con:
            # A suite that names the model rewriting its rows checks its ERROR row rules on the
            # rows rebuilt since it last passed (contracts/changed_rows.py).
            outcome = validate_table(con, f"marts.{model}", suite, run_id=context.run.run_id,
                                     changed_rows=True)
            record_outcomes(con, [outcome])
        return check_result([outcome], key)

    return _mart_contract


def build_mart_checks(expectations_dir: Path = EXPECTATIONS_DIR) -> list[dg.AssetChecksDefinition]:
    """One check per mart suite in `expectations_dir` (tests pass a tampered copy)."""
    return [build_mart_check(path)
            for path in sorted(Path(expectations_dir).glob(f"{MART_SUITE_PREFIX}*.json"))]

