"""The severity rule (docs/severity.md) and the checks that block, kept in step.

Every check that can stop a run from publishing is named in the review tables of
docs/severity.md, and every name there is such a check:

- Great Expectations expectations with meta.severity ERROR (expectations/raw__*.json refuse an
  extract, expectations/marts__*.json block publishing: the blocking Dagster asset checks);
- dbt data tests with severity error (dbt/models/**/*.yml, dbt/tests/*.sql): an error fails
  the dbt step, and nothing downstream of it (mart contracts, publish) runs.

The "Changed in this review" table names checks with their severity now, so a downgrade (or a
relaxed rule) cannot be silently reverted either. Check names are built here from the suites
and the dbt manifest (``python -m tests.test_severity_rule`` prints them all); in the document
``*`` stands for any run of characters (``raw__*: columns``: every raw suite's), and every
check a pattern matches must have the severity its table says.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
EXPECTATIONS = REPO / "expectations"
SEVERITY_DOC = REPO / "docs" / "severity.md"
ERROR_TABLE = "## ERROR checks"
CHANGED_TABLE = "## Changed in this review"


# --- check names ---------------------------------------------------------------------------


def _bound(kwargs: dict[str, Any], key: str, strict_key: str, op: str) -> str | None:
    if kwargs.get(key) is None:
        return None
    value = kwargs[key]
    if isinstance(value, dict) and "$PARAMETER" in value:
        value = value["$PARAMETER"]
    return f"{op}{'' if kwargs.get(strict_key) else '='} {value}"


def _condition(kwargs: dict[str, Any]) -> str:
    condition = kwargs.get("row_condition")
    if not condition:
        return ""
    column = condition["column"]["name"]
    if condition["type"] == "nullity":
        return f" where {column} is {'' if condition['is_null'] else 'not '}null"
    return f" where {column} {condition['operator']} {condition['parameter']}"


def expectation_name(item: dict[str, Any]) -> str:
    """A short, stable name of one expectation of a suite, e.g. ``between(qty, > 0)``."""
    kind, kwargs = item["type"], item["kwargs"]
    column = kwargs.get("column")
    if kind == "expect_table_columns_to_match_set":
        name = "columns"
    elif kind == "expect_column_values_to_not_be_null":
        name = f"not_null({column})"
    elif kind == "expect_column_values_to_be_null":
        name = f"null({column})"
    elif kind == "expect_column_values_to_be_unique":
        name = f"unique({column})"
    elif kind == "expect_compound_columns_to_be_unique":
        name = f"unique({', '.join(kwargs['column_list'])})"
    elif kind == "expect_column_values_to_be_in_set":
        name = f"in_set({column})"
    elif kind == "expect_column_values_to_be_between":
        bounds = [b for b in (_bound(kwargs, "min_value", "strict_min", ">"),
                              _bound(kwargs, "max_value", "strict_max", "<")) if b]
        name = f"between({column}, {', '.join(bounds)})"
    elif kind == "expect_column_pair_values_a_to_be_greater_than_b":
        op = ">=" if kwargs.get("or_equal") else ">"
        name = f"pair({kwargs['column_A']} {op} {kwargs['column_B']})"
    elif kind == "unexpected_rows_expectation":
        name = f"rows({item['description']})"
    else:
        name = f"{kind.removeprefix('expect_')}({column or ''})"
    return name + _condition(kwargs)


def gx_checks() -> dict[str, str]:
    """``<suite>: <expectation>`` -> severity (ERROR or WARNING), every suite."""
    checks: dict[str, str] = {}
    for path in sorted(EXPECTATIONS.glob("*.json")):
        for item in json.loads(path.read_text(encoding="utf-8"))["expectations"]:
            name = f"{path.stem}: {expectation_name(item)}"
            assert name not in checks, f"two expectations are both named {name!r}"
            checks[name] = item["meta"]["severity"]
    return checks


def _dbt_manifest() -> dict[str, Any]:
    from dagster_project.resources.dbt import ensure_manifest

    manifest = ensure_manifest()  # reparses when any dbt file is newer than the manifest
    return json.loads(manifest.read_text(encoding="utf-8"))


def dbt_test_name(node: dict[str, Any]) -> str:
    """``dbt <model>: <test>(<arguments>)``; singular tests by their file name."""
    metadata = node.get("test_metadata")
    if not metadata:
        return f"dbt {Path(node['original_file_path']).stem}"
    model = (node.get("attached_node") or "").rsplit(".", 1)[-1]
    kwargs, column = metadata["kwargs"], node.get("column_name")
    test = metadata["name"]
    if test == "relationships":
        target = re.sub(r"ref\('([^']+)'\)", r"\1", kwargs["to"])
        argument = f"{column} -> {target}.{kwargs['field']}"
    elif test == "unique_combination_of_columns":
        argument = ", ".join(kwargs["combination_of_columns"])
    elif test == "unique_incremental_key":
        argument = ", ".join(kwargs["key_columns"])
    elif test == "expression_is_true":
        argument = " ".join(kwargs["expression"].split())
    else:
        argument = column or ""
    return f"dbt {model}: {test}({argument})"


def dbt_checks() -> dict[str, str]:
    """dbt test name -> severity (ERROR or WARN), every data test of the project."""
    checks: dict[str, str] = {}
    for node in _dbt_manifest()["nodes"].values():
        if node["resource_type"] != "test":
            continue
        name = dbt_test_name(node)
        assert name not in checks, f"two dbt tests are both named {name!r}"
        checks[name] = node["config"]["severity"].upper()
    return checks


def check_names() -> dict[str, str]:
    return {**gx_checks(), **dbt_checks()}


# --- the review tables of docs/severity.md -------------------------------------------------


def _cells(line: str) -> list[str]:
    inner = line.strip()
    return [c.strip() for c in re.split(r"(?<!\\)\|", inner[1:-1])]


def documented(section: str) -> dict[str, list[str]]:
    """Check names or patterns (in backticks, first column) of the tables under ``section``
    (up to the next ``## `` heading) -> the cells of their row."""
    text = SEVERITY_DOC.read_text(encoding="utf-8")
    assert f"\n{section}\n" in text, f"{SEVERITY_DOC.name} has no section {section!r}"
    body = text.split(f"\n{section}\n", 1)[1].split("\n## ", 1)[0]
    names: dict[str, list[str]] = {}
    for line in body.splitlines():
        if not line.startswith("|") or set(line) <= set("|-: "):
            continue
        cells = _cells(line)
        for name in re.findall(r"`([^`]+)`", cells[0]):
            name = name.replace("\\|", "|")
            assert name not in names, f"{name!r} is listed twice in {section!r}"
            names[name] = cells
    return names


def matches(pattern: str, checks: dict[str, str]) -> list[str]:
    """The checks a documented name stands for (``*``: any run of characters)."""
    regex = ".*".join(re.escape(part) for part in pattern.split("*"))
    return [name for name in checks if re.fullmatch(regex, name)]


@pytest.fixture(scope="module")
def checks() -> dict[str, str]:
    return check_names()


def test_every_blocking_check_is_reviewed(checks):
    reviewed = {name for pattern in documented(ERROR_TABLE) for name in matches(pattern, checks)}
    missing = sorted(n for n, severity in checks.items() if severity == "ERROR"
                     and n not in reviewed)
    assert not missing, (
        f"ERROR checks not reviewed in docs/severity.md ({ERROR_TABLE!r}): say what each "
        "guards and why failing it means wrong or unusable data, not unusual data:\n"
        + "\n".join(missing)
    )


def test_every_reviewed_check_exists_and_blocks(checks):
    problems = []
    for pattern in documented(ERROR_TABLE):
        found = matches(pattern, checks)
        if not found:
            problems.append(f"{pattern}: no such check")
        problems += [f"{pattern}: {n} is {checks[n]}" for n in found if checks[n] != "ERROR"]
    assert not problems, (
        "docs/severity.md lists as ERROR checks that do not exist or do not block:\n"
        + "\n".join(problems)
    )


def test_every_change_keeps_its_severity(checks):
    problems = []
    for pattern, cells in documented(CHANGED_TABLE).items():
        severity = cells[1].strip("`* ")
        found = matches(pattern, checks)
        if not found:
            problems.append(f"{pattern}: no such check")
        problems += [f"{pattern}: {n} is {checks[n]}, the table says {severity}"
                     for n in found if checks[n] != severity]
    assert not problems, "\n".join(problems)


def test_every_expectation_says_why():
    for path in sorted(EXPECTATIONS.glob("*.json")):
        for item in json.loads(path.read_text(encoding="utf-8"))["expectations"]:
            assert item["meta"]["severity"] in ("ERROR", "WARNING"), (path.name, item)
            assert item["meta"].get("why", "").strip(), (path.name, expectation_name(item))


def test_zero_day_lead_times_are_allowed_by_every_check(checks):
    """A 0-day lead time is real (docs/severity.md): no check may demand a positive one."""
    positive = re.compile(r"(lead_time\w*|proposed_value)(, )? > 0\b")
    offending = sorted(n for n in checks if "lead_time" in n and positive.search(n)
                       or "proposed_value > 0" in n)
    assert not offending, offending


if __name__ == "__main__":
    for check, severity in sorted(check_names().items()):
        print(f"{severity:7} {check}")
