"""Data contracts: run version-controlled GX suites against DuckDB tables (DESIGN.md, "Contracts").

Suites are GX 1.x ExpectationSuite JSON files under `expectations/`, one per table, named
`<schema>__<table>.json`. Every expectation carries `meta.severity`: 'ERROR' blocks downstream,
'WARNING' is reported; `meta.why` says in one sentence why the rule exists.

This module uses only GX's public objects (ExpectationSuite, ExpectationConfiguration and the
validation result); everything that depends on GX internals is in `gx_duckdb`.
"""

from __future__ import annotations

import json
import shutil
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

# Great Expectations is imported where a suite is read or run, not with this module: the
# pipeline's definitions import it, and a run with nothing new validates nothing (importing
# GX is 2.5-5 s of such a run's ~12 s; docs/performance.md).
if TYPE_CHECKING:
    from great_expectations.core import ExpectationSuite

    from dagster_project.contracts.changed_rows import Scope

SEVERITIES: tuple[str, ...] = ("ERROR", "WARNING")
# GX 1.x has its own per-expectation severity; kept in step with ours so Data Docs agree.
_GX_SEVERITY = {"ERROR": "critical", "WARNING": "warning"}
_EXPECTATION_KEYS = {"type", "kwargs", "meta", "notes", "description", "severity", "id",
                     "rendered_content"}
PARTIAL_VALUES = 5  # failing values kept per expectation
# GX has no regex SQL for DuckDB: these would fail on every run without evaluating anything
# (see gx_duckdb). Write the rule as an unexpected_rows_expectation with regexp_full_match.
UNSUPPORTED_ON_DUCKDB: frozenset[str] = frozenset({
    "expect_column_values_to_match_regex",
    "expect_column_values_to_not_match_regex",
    "expect_column_values_to_match_regex_list",
    "expect_column_values_to_not_match_regex_list",
})

class ContractError(Exception):
    """A suite file or contract run that cannot be used; the message is one line."""


def _jsonable(value: Any) -> Any:
    """Plain JSON types (dates and decimals become strings)."""
    return json.loads(json.dumps(value, default=str))


def _one_line(exc: BaseException, limit: int = 300) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):  # pydantic: one message per field, first wins (unions repeat a field)
        try:
            by_field: dict[str, str] = {}
            for err in errors():
                by_field.setdefault(".".join(str(p) for p in err["loc"]), err["msg"])
            text = "; ".join(f"{k}: {v}" for k, v in by_field.items())
        except Exception:
            text = str(exc)
    else:
        text = str(exc)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def table_for_suite(path: Path) -> str:
    """expectations/raw__erp_items.json -> 'raw.erp_items' (the naming convention)."""
    schema, sep, table = Path(path).stem.partition("__")
    if not sep or not schema or not table:
        raise ContractError(f"{path}: suite file name must be <schema>__<table>.json")
    return f"{schema}.{table}"


def load_suite(path: Path) -> ExpectationSuite:
    """Read and check a suite file; any problem raises ContractError naming the file."""
    from great_expectations.core import ExpectationSuite
    from great_expectations.exceptions import ExpectationNotFoundError
    from great_expectations.expectations.expectation_configuration import (
        ExpectationConfiguration,
    )

    path = Path(path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ContractError(f"{path}: cannot read suite: {exc.strerror or exc}") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ContractError(f"{path}: invalid JSON: {_one_line(exc)}") from exc
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str) or not raw["name"]:
        raise ContractError(f"{path}: a suite must be a JSON object with a non-empty 'name'")
    items = raw.get("expectations")
    if not isinstance(items, list) or not items:
        raise ContractError(f"{path}: 'expectations' must be a non-empty list")

    expectations = []
    for i, item in enumerate(items, start=1):
        label = item.get("type", "?") if isinstance(item, dict) else "?"
        where = f"{path}: expectation #{i} ({label})"
        if not isinstance(item, dict) or not isinstance(item.get("type"), str):
            raise ContractError(f"{where}: must be an object with a 'type'")
        unknown = sorted(set(item) - _EXPECTATION_KEYS)
        if unknown:
            raise ContractError(f"{where}: unknown keys {unknown}")
        if item["type"] in UNSUPPORTED_ON_DUCKDB:
            raise ContractError(
                f"{where}: not supported on DuckDB (GX has no regex SQL for it); use an "
                "unexpected_rows_expectation with regexp_full_match instead"
            )
        meta = item.get("meta") or {}
        severity = meta.get("severity") if isinstance(meta, dict) else None
        if severity not in SEVERITIES:
            raise ContractError(
                f"{where}: meta.severity must be 'ERROR' or 'WARNING', got {severity!r}"
            )
        native = item.get("severity", _GX_SEVERITY[severity])
        if native != _GX_SEVERITY[severity]:
            raise ContractError(
                f"{where}: GX severity {native!r} contradicts meta.severity {severity!r}"
            )
        if not isinstance(item.get("kwargs", {}), dict):
            raise ContractError(f"{where}: 'kwargs' must be an object")
        try:
            # Ids are dropped: GX treats an expectation with an id as owned by another suite.
            config = ExpectationConfiguration(
                type=item["type"],
                kwargs=dict(item.get("kwargs") or {}),
                meta=dict(meta),
                # Data Docs render notes, not meta: show severity and why there.
                notes=item.get("notes") or f"{severity}: {meta.get('why', '')}".strip(": "),
                description=item.get("description"),
                severity=native,
            )
            expectations.append(config.to_domain_obj())
        except ExpectationNotFoundError as exc:
            raise ContractError(f"{where}: unknown expectation type") from exc
        except Exception as exc:
            raise ContractError(f"{where}: invalid: {_one_line(exc)}") from exc
    try:
        return ExpectationSuite(
            name=raw["name"], expectations=expectations, meta=raw.get("meta") or {},
            notes=raw.get("notes"),
        )
    except Exception as exc:
        raise ContractError(f"{path}: invalid suite: {_one_line(exc)}") from exc


def _short(values: Any, limit: int = 160) -> str:
    text = json.dumps(values, default=str)
    return text if len(text) <= limit else text[: limit - 3] + "..."


@dataclass
class ExpectationOutcome:
    """One expectation's result, in plain Python types."""

    expectation_type: str
    column: str | None
    kwargs: dict[str, Any]
    severity: str  # 'ERROR' | 'WARNING'
    success: bool
    observed_value: Any
    unexpected_count: int | None
    unexpected_percent: float | None
    partial_unexpected_values: list[Any]  # at most PARTIAL_VALUES
    element_count: int | None
    table: str = ""
    why: str = ""
    condition: str | None = None  # row condition, rendered, when the rule applies to some rows
    exception: str | None = None  # set when GX could not evaluate the expectation
    details: dict[str, Any] | None = None  # GX's result details (e.g. mismatched columns)
    description: str | None = None  # the suite's description (names an SQL rule)
    rows_scope: str = "whole table"  # or which changed rows it checked (changed_rows.py)

    def failure_line(self) -> str:
        """'raw.t: ERROR expect_x(col where cond): 3 of 10 rows failed (30%), e.g. [..]'."""
        # An SQL rule (unexpected_rows_expectation) has no column: its description names it.
        target = self.column or self.description or ""
        if self.condition:
            target = f"{target} where {self.condition}".strip()
        head = f"{self.table}: {self.severity} {self.expectation_type}"
        head += f"({target})" if target else ""
        if self.exception:
            return f"{head}: could not be evaluated: {self.exception}"
        if self.success:
            return f"{head}: passed"
        if self.unexpected_count is not None:
            of = f" of {self.element_count}" if self.element_count is not None else ""
            line = f"{head}: {self.unexpected_count}{of} rows failed"
            if self.partial_unexpected_values:
                line += f", e.g. {_short(self.partial_unexpected_values)}"
            return line
        mismatched = (self.details or {}).get("mismatched")
        if isinstance(mismatched, dict):
            shown = {k: v for k, v in mismatched.items() if v}
            return f"{head}: failed, {_short(shown)}"
        return f"{head}: failed, observed {_short(self.observed_value)}"


@dataclass
class SuiteOutcome:
    """One suite run against one table."""

    suite: str
    table: str
    run_id: str
    started_at: datetime
    duration_s: float
    outcomes: list[ExpectationOutcome]
    suite_path: Path | None = None
    # GX's own result (JSON-safe dict), kept for Data Docs; see `write_data_docs`.
    validation_result: dict[str, Any] = field(default_factory=dict, repr=False)
    source_file: str | None = None  # the extract validated, for raw contracts

    def relabel(self, table: str, source_file: str | None = None) -> None:
        """Report under `table` (and name the extract): an extract staged in `incoming` is
        reported as the raw table it is merged into or refused from."""
        self.table = table
        for outcome in self.outcomes:
            outcome.table = table
        if source_file is not None:
            self.source_file = source_file
        extra = self.validation_result.setdefault("meta", {}).setdefault("plansignal", {})
        extra["table"] = table
        if self.source_file:
            extra["source_file"] = self.source_file

    @property
    def error_failures(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if not o.success and o.severity == "ERROR"]

    @property
    def warning_failures(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if not o.success and o.severity == "WARNING"]

    @property
    def passed(self) -> bool:
        """No ERROR failure (warnings do not block)."""
        return not self.error_failures

    def summary_line(self) -> str:
        n_ok = sum(o.success for o in self.outcomes)
        line = f"{self.table}: {n_ok}/{len(self.outcomes)} expectations passed"
        failures = self.error_failures + self.warning_failures
        if failures:
            prefix = f"{self.table}: "
            line += "; " + "; ".join(o.failure_line().removeprefix(prefix) for o in failures)
        return line


def _column_of(kwargs: dict[str, Any]) -> str | None:
    if kwargs.get("column"):
        return str(kwargs["column"])
    if kwargs.get("column_A") and kwargs.get("column_B"):
        return f"{kwargs['column_A']},{kwargs['column_B']}"
    if kwargs.get("column_list"):
        return ",".join(str(c) for c in kwargs["column_list"])
    return None


def _render_condition(cond: Any) -> str:
    """GX row_condition (JSON form) as readable SQL-like text."""
    if isinstance(cond, str):
        return cond
    if not isinstance(cond, dict):
        return json.dumps(cond, default=str)
    kind = cond.get("type")
    if kind == "comparison":
        param = cond.get("parameter")
        shown = f"'{param}'" if isinstance(param, str) else json.dumps(param, default=str)
        return f"{cond['column']['name']} {cond['operator']} {shown}"
    if kind == "nullity":
        return f"{cond['column']['name']} IS {'' if cond.get('is_null') else 'NOT '}NULL"
    if kind in ("and", "or"):
        joined = f" {kind.upper()} ".join(_render_condition(c) for c in cond["conditions"])
        return f"({joined})"
    if kind == "pass_through":
        return str(cond.get("pass_through_filter"))
    return json.dumps(cond, default=str)


def _is_parameter(value: Any) -> bool:
    return isinstance(value, dict) and "$PARAMETER" in value


def _matches(expectation: Any, config: Any) -> bool:
    """Is `config` (from a result) the configuration of suite `expectation`?

    Results carry GX's batch_id and the substituted $PARAMETER values in their kwargs, so those
    kwargs are left out of the comparison; meta (with its 'why') tells expectations apart.
    """
    mine = expectation.configuration
    if mine.type != config.type or (mine.meta or {}) != (config.meta or {}):
        return False
    theirs = _jsonable(config.to_json_dict()["kwargs"])
    ours = _jsonable(mine.to_json_dict()["kwargs"])
    return all(theirs.get(k) == v for k, v in ours.items() if not _is_parameter(v))


def _in_suite_order(suite: ExpectationSuite, results: Sequence[Any]) -> list[Any]:
    # GX groups results by metric domain; reports follow the suite file instead.
    remaining = list(results)
    ordered = []
    for expectation in suite.expectations:
        hit = next((r for r in remaining if _matches(expectation, r.expectation_config)), None)
        if hit is not None:
            remaining.remove(hit)
            ordered.append(hit)
    return ordered + remaining


def _rows_count(expectation_type: str, result: dict[str, Any]) -> int | None:
    """An SQL rule's observed value is the number of rows its query returned."""
    from dagster_project.contracts.gx_duckdb import UNEXPECTED_ROWS

    observed = result.get("observed_value")
    if expectation_type == UNEXPECTED_ROWS and isinstance(observed, int):
        return observed
    return None


def _outcome(result: Any, table: str) -> ExpectationOutcome:
    config = result.expectation_config
    kwargs = _jsonable({k: v for k, v in config.to_json_dict()["kwargs"].items()
                        if k != "batch_id"})
    meta = config.meta or {}
    res = _jsonable(result.result or {})
    info = result.exception_info or {}
    raised = bool(info.get("raised_exception"))
    condition = _render_condition(kwargs["row_condition"]) if kwargs.get("row_condition") else None
    return ExpectationOutcome(
        expectation_type=config.type,
        column=_column_of(kwargs),
        kwargs=kwargs,
        severity=meta.get("severity", "ERROR"),
        # An expectation GX could not evaluate has not been met.
        success=bool(result.success) and not raised,
        observed_value=res.get("observed_value"),
        unexpected_count=res.get("unexpected_count", _rows_count(config.type, res)),
        unexpected_percent=res.get("unexpected_percent"),
        partial_unexpected_values=list(res.get("partial_unexpected_list") or [])[:PARTIAL_VALUES],
        element_count=res.get("element_count"),
        table=table,
        why=str(meta.get("why", "")),
        condition=condition,
        details=res.get("details") or None,
        description=getattr(config, "description", None),
        exception=" ".join(str(info.get("exception_message")).split())[:300] if raised else None,
    )


def validate_table(
    database: Path | duckdb.DuckDBPyConnection,
    table: str,  # 'schema.table'
    suite_path: Path,
    run_id: str | None = None,
    parameters: dict[str, Any] | None = None,
    changed_rows: bool = False,
) -> SuiteOutcome:
    """Run the suite in `suite_path` against `table` and return every expectation's outcome.

    Suites may use {"$PARAMETER": "today"} (today's date, local time) and "tomorrow" (for
    timestamps: `< tomorrow` is "not after today"); `parameters` adds to or overrides the
    defaults (tests pin `today`; `tomorrow` follows a pinned `today` unless given).

    `database` is a DuckDB file (opened read-only) or an open connection to reuse (GX gets its
    own cursor; only committed data is seen). Raises ContractError if the suite is invalid or
    the table does not exist; failing expectations are reported in the outcome, not raised.

    `changed_rows` (mart contracts, on an open read-write connection): when the suite declares
    the incremental model that rewrites its rows, its ERROR row rules check only the rows
    rebuilt since the suite last passed, and a pass is recorded (contracts/changed_rows.py).
    """
    from dagster_project.contracts import changed_rows as scoping

    suite = load_suite(suite_path)
    started_at = datetime.now(UTC)
    run_id = run_id or f"{started_at:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
    params: dict[str, Any] = {"today": date.today(), **(parameters or {})}
    params.setdefault("tomorrow", params["today"] + timedelta(days=1))
    # Scoping needs the pipeline's read-write connection (a copy of rows, a recorded pass).
    con = database if changed_rows and isinstance(database, duckdb.DuckDBPyConnection) else None
    scope: Scope | None = None
    t0 = time.perf_counter()
    try:
        if con is not None:
            spec = scoping.declared_spec(dict(suite.meta or {}), Path(suite_path))
            scope = scoping.decide_scope(con, suite.name, Path(suite_path), spec)
        if con is not None and scope is not None and scope.changed_rows_only:
            result, on_changed_rows = _validate_changed_rows(con, table, suite, scope, params)
        else:
            result, on_changed_rows = _validate(database, table, suite, params), set()
    except scoping.ChangedRowsError as exc:
        raise ContractError(str(exc)) from exc
    except (LookupError, ValueError, FileNotFoundError) as exc:
        raise ContractError(f"{suite_path}: cannot validate {table}: {exc}") from exc
    duration = time.perf_counter() - t0

    results = _in_suite_order(suite, result.results)
    # Run id and time go into GX's result so Data Docs show them.
    result.meta["run_id"] = {"run_name": run_id, "run_time": started_at.isoformat()}
    result.meta["validation_time"] = started_at.strftime("%Y%m%dT%H%M%S.%fZ")
    result.meta["plansignal"] = {"table": table, "suite_path": str(suite_path)}
    if scope is not None:
        result.meta["plansignal"]["row_rules_checked"] = (
            f"{scope.label()}: {scope.reason}" if scope.changed_rows_only
            else f"whole table: {scope.reason}")
    outcomes = []
    for res in results:
        outcome = _outcome(res, table)
        if id(res) in on_changed_rows and scope is not None:
            outcome.rows_scope = scope.label()
        outcomes.append(outcome)
    suite_outcome = SuiteOutcome(
        suite=suite.name,
        table=table,
        run_id=run_id,
        started_at=started_at,
        duration_s=duration,
        outcomes=outcomes,
        suite_path=Path(suite_path),
        validation_result=_jsonable(result.to_json_dict()),
    )
    if con is not None and scope is not None and suite_outcome.passed:
        # Only a pass: rows that failed stay newer than the recorded time, so they run again.
        scoping.record_pass(con, suite.name, scope, run_id)
    return suite_outcome


def _validate(
    database: Path | duckdb.DuckDBPyConnection, table: str, suite: ExpectationSuite,
    params: dict[str, Any],
) -> Any:
    from dagster_project.contracts import gx_duckdb

    return gx_duckdb.validate_suite(
        database, table, suite,
        result_format={"result_format": "SUMMARY", "partial_unexpected_count": PARTIAL_VALUES},
        parameters=params,
    )


def _validate_changed_rows(
    con: duckdb.DuckDBPyConnection, table: str, suite: ExpectationSuite, scope: Scope,
    params: dict[str, Any],
) -> tuple[Any, set[int]]:
    """GX's result for the whole suite: the rules split_suite gives the changed rows run on a
    copy of them, the rest on the table; and the ids of the results on the changed rows."""
    from dagster_project.contracts import changed_rows as scoping

    on_changed, on_whole = scoping.split_suite(suite, scope.spec)
    changed_result = whole_result = None
    try:
        if on_changed.expectations:
            copy = scoping.copy_changed_rows(con, table, scope)
            changed_result = _validate(con, copy, on_changed, params)
    finally:
        scoping.release_changed_rows(con)
    if on_whole.expectations:
        whole_result = _validate(con, table, on_whole, params)
    base = whole_result or changed_result
    changed_results = list(changed_result.results) if changed_result else []
    base.results = changed_results + (list(whole_result.results) if whole_result else [])
    n_ok = sum(bool(r.success) for r in base.results)
    base.success = n_ok == len(base.results)
    base.statistics = {
        "evaluated_expectations": len(base.results),
        "successful_expectations": n_ok,
        "unsuccessful_expectations": len(base.results) - n_ok,
        "success_percent": 100.0 * n_ok / len(base.results) if base.results else None,
    }
    return base, {id(r) for r in changed_results}


def outcomes_to_rows(outcome: SuiteOutcome) -> list[dict[str, Any]]:
    """Flatten into data-quality history rows (warehouse.dq_history.DQ_HISTORY_COLUMNS)."""
    return [
        {
            "run_id": outcome.run_id,
            "suite": outcome.suite,
            "table_name": outcome.table,
            "expectation_type": o.expectation_type,
            "column_name": o.column,
            "kwargs_json": json.dumps(o.kwargs, sort_keys=True, default=str),
            "severity": o.severity,
            "success": o.success,
            "observed_value": (json.dumps(o.observed_value, default=str)
                               if o.observed_value is not None else None),
            "unexpected_count": o.unexpected_count,
            "element_count": o.element_count,
            "validated_at": outcome.started_at,
            "source_file": outcome.source_file,
            "rows_scope": o.rows_scope,
        }
        for o in outcome.outcomes
    ]


def save_validation_result(outcome: SuiteOutcome, results_dir: Path) -> Path:
    """Write GX's result as JSON (for `write_data_docs` in another process); returns the file."""
    results_dir = Path(results_dir)
    results_dir.mkdir(parents=True, exist_ok=True)
    target = results_dir / f"{outcome.run_id}__{outcome.suite}.json"
    target.write_text(json.dumps(outcome.validation_result, indent=1), encoding="utf-8")
    return target


def write_data_docs(results: Iterable[SuiteOutcome | Path], site_dir: Path) -> Path:
    """Build GX Data Docs (static HTML) for these validation results into `<site_dir>/gx/`.

    `results` are SuiteOutcomes or JSON files from `save_validation_result`. The folder is
    rebuilt from scratch, so it shows exactly these runs, plus one page per suite. Returns
    the path of `<site_dir>/gx/index.html`.
    """
    import great_expectations as gx
    from great_expectations.core import ExpectationSuiteValidationResult
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    docs_dir = Path(site_dir) / "gx"
    if docs_dir.exists():
        shutil.rmtree(docs_dir)
    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
        progress_bars=ProgressBarsConfig(globally=False),
        analytics_enabled=False,
        data_docs_sites={
            "plansignal": {
                "class_name": "SiteBuilder",
                "show_how_to_buttons": False,
                "store_backend": {"class_name": "TupleFilesystemStoreBackend",
                                  "base_directory": str(docs_dir)},
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            }
        },
    )
    context = gx.get_context(project_config=config, mode="ephemeral")
    suites_added: set[str] = set()
    for item in results:
        if isinstance(item, SuiteOutcome):
            data = item.validation_result
        else:
            try:
                data = json.loads(Path(item).read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError) as exc:
                raise ContractError(f"{item}: cannot read validation result: {exc}") from exc
        result = ExpectationSuiteValidationResult(**data)
        meta = data.get("meta", {})
        extra = meta.get("plansignal", {})
        run = meta.get("run_id") or {}
        suite_path = extra.get("suite_path")
        if result.suite_name not in suites_added and suite_path and Path(suite_path).is_file():
            context.suites.add(load_suite(Path(suite_path)))
            suites_added.add(result.suite_name)
        key = ValidationResultIdentifier(
            ExpectationSuiteIdentifier(name=result.suite_name),
            RunIdentifier(run_name=run.get("run_name"), run_time=run.get("run_time")),
            extra.get("table") or "__none__",
        )
        context.validation_results_store.set(key, result)
    context.build_data_docs(site_names=["plansignal"])
    return docs_dir / "index.html"


def validate_all(
    database: Path | duckdb.DuckDBPyConnection,
    suite_paths: Sequence[Path],
    run_id: str | None = None,
    parameters: dict[str, Any] | None = None,
) -> list[SuiteOutcome]:
    """Validate each suite against the table its file name names (see `table_for_suite`)."""
    return [validate_table(database, table_for_suite(p), p, run_id, parameters)
            for p in suite_paths]
