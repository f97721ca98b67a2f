"""The project documents its own interfaces (docs/), and the documents stay in step with code.

- docs/landing-contract.md: every table, key, kind, column, type, nullability and allowed value
  equals dagster_project/ingest/landing_contract.py.
- docs/marts.md: every mart the project publishes is documented; its guaranteed columns are
  declared in the dbt yml and are exactly the columns its mart contract requires on every build
  (expectations/marts__<mart>.json); dq_contract_history's are the history table's columns;
  the settings and finding types it quotes are the dbt project's.
- No project file sends readers to the design outside the repository, and the docs' relative
  links resolve.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import duckdb
import pytest
import yaml

from dagster_project.ingest.landing_contract import LANDING_TABLES, METADATA_COLUMNS, Column

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"
LANDING_DOC = DOCS / "landing-contract.md"
MARTS_DOC = DOCS / "marts.md"
MART_MODELS = REPO / "dbt" / "models" / "marts"
EXPECTATIONS = REPO / "expectations"
DQ_HISTORY_MART = "dq_contract_history"  # published by publish, not a dbt model
LANDING_HEADER = ["column", "type", "nullable", "allowed values", "meaning"]
MARTS_HEADER = ["guaranteed column", "meaning"]
# Written by another change; links to it may land before the file does.
PENDING_DOCS = {DOCS / "severity.md"}


# --------------------------------------------------------------------------------------------
# Markdown helpers
# --------------------------------------------------------------------------------------------


def sections(text: str, level: int) -> list[tuple[str, str]]:
    """(heading, body) of every heading of exactly ``level``, in order; the body runs to the
    next heading of the same or a higher level."""
    pattern = re.compile(rf"^(#{{1,{level}}}) (.+)$", re.MULTILINE)
    matches = list(pattern.finditer(text))
    found = []
    for i, match in enumerate(matches):
        if len(match.group(1)) != level:
            continue
        end = next((m.start() for m in matches[i + 1:] if len(m.group(1)) <= level), len(text))
        found.append((match.group(2).strip(), text[match.end():end]))
    return found


def cells(line: str) -> list[str]:
    inner = line.strip()
    assert inner.startswith("|") and inner.endswith("|"), line
    return [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", inner[1:-1])]


def tables(body: str, header: list[str]) -> list[list[list[str]]]:
    """Every markdown table in ``body`` whose header row is ``header``: its data rows' cells."""
    lines = body.splitlines()
    found = []
    for i, line in enumerate(lines):
        if line.startswith("|") and cells(line) == header:
            rows = []
            for row in lines[i + 2:]:
                if not row.startswith("|"):
                    break
                rows.append(cells(row))
            found.append(rows)
    return found


def one_table(body: str, header: list[str], where: str) -> list[list[str]]:
    found = tables(body, header)
    assert len(found) == 1, f"{where}: expected one table headed {header}, found {len(found)}"
    for row in found[0]:
        assert len(row) == len(header), f"{where}: {row}"
    return found[0]


def code_names(text: str) -> list[str]:
    return re.findall(r"`([^`]+)`", text)


def unquote(cell: str, where: str) -> str:
    names = code_names(cell)
    assert len(names) == 1 and cell == f"`{names[0]}`", f"{where}: not one `name`: {cell!r}"
    return names[0]


# --------------------------------------------------------------------------------------------
# Landing contract
# --------------------------------------------------------------------------------------------


def documented_columns(body: str, where: str) -> list[Column]:
    columns = []
    for name, sql_type, nullable, allowed, meaning in one_table(body, LANDING_HEADER, where):
        assert nullable in {"yes", "no"}, f"{where}: nullable must be yes or no: {nullable!r}"
        assert meaning, f"{where}: {name} has no meaning"
        columns.append(Column(unquote(name, where), sql_type, nullable == "yes",
                              tuple(code_names(allowed))))
    return columns


def landing_sections() -> dict[str, str]:
    (_, tables_part), = [s for s in sections(LANDING_DOC.read_text(encoding="utf-8"), 2)
                         if s[0] == "Tables"]
    return dict(sections(tables_part, 3))


def test_landing_doc_documents_every_landing_table_in_order() -> None:
    assert list(landing_sections()) == list(LANDING_TABLES)


@pytest.mark.parametrize("table", sorted(LANDING_TABLES))
def test_landing_doc_table_equals_landing_contract(table: str) -> None:
    contract = LANDING_TABLES[table]
    body = landing_sections()[table]
    key = re.search(r"Key:((?:\s*`[^`]+`,?)+)", body)
    assert key, f"{table}: no 'Key:' line"
    assert tuple(code_names(key.group(1))) == contract.key
    kind = re.search(r"Kind: (master|transactional)\.", body)
    assert kind, f"{table}: no 'Kind:' line"
    assert (kind.group(1) == "transactional") == contract.transactional
    assert tuple(documented_columns(body, table)) == contract.columns


def test_landing_doc_metadata_columns_equal_ingestion_metadata() -> None:
    (_, body), = [s for s in sections(LANDING_DOC.read_text(encoding="utf-8"), 2)
                  if s[0] == "Metadata columns"]
    assert tuple(documented_columns(body, "Metadata columns")) == METADATA_COLUMNS


# --------------------------------------------------------------------------------------------
# Marts
# --------------------------------------------------------------------------------------------


def guaranteed_columns() -> dict[str, list[str]]:
    """Mart name -> guaranteed columns, from the '### `mart`' sections of docs/marts.md (one
    heading may name several marts that share a table)."""
    (_, marts_part), = [s for s in sections(MARTS_DOC.read_text(encoding="utf-8"), 2)
                        if s[0] == "Marts"]
    documented: dict[str, list[str]] = {}
    for heading, body in sections(marts_part, 3):
        names = code_names(heading)
        assert names, f"heading {heading!r} names no mart"
        rows = one_table(body, MARTS_HEADER, heading)
        columns = [unquote(name, heading) for name, _ in rows]
        assert all(meaning for _, meaning in rows), f"{heading}: a column has no meaning"
        assert len(set(columns)) == len(columns), f"{heading}: a column is listed twice"
        for name in names:
            assert name not in documented, f"{name} documented twice"
            documented[name] = columns
    return documented


def dbt_mart_models() -> dict[str, list[str]]:
    """Every model under dbt/models/marts with the columns its yml declares."""
    models = {path.stem: [] for path in MART_MODELS.rglob("*.sql")}
    for path in MART_MODELS.rglob("*.yml"):
        for model in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("models", []):
            models.setdefault(model["name"], []).extend(
                c["name"] for c in model.get("columns") or [])
    return models


def required_by_contract(mart: str) -> set[str] | None:
    suite = EXPECTATIONS / f"marts__{mart}.json"
    if not suite.exists():
        return None
    items = json.loads(suite.read_text(encoding="utf-8"))["expectations"]
    column_sets = [i["kwargs"]["column_set"] for i in items
                   if i["type"] == "expect_table_columns_to_match_set"]
    assert len(column_sets) == 1, suite.name
    return set(column_sets[0])


def dq_history_columns() -> list[str]:
    """The columns of the data-quality history, as the pipeline creates it."""
    from dagster_project.warehouse.dq_history import DQ_HISTORY, ensure_dq_history

    con = duckdb.connect()  # in memory: nothing written anywhere
    ensure_dq_history(con)
    schema, table = DQ_HISTORY.split(".")
    rows = con.execute(
        "select column_name from information_schema.columns where table_schema = ? "
        "and table_name = ? order by ordinal_position", [schema, table]).fetchall()
    return [r[0] for r in rows]


def test_marts_doc_documents_every_published_mart() -> None:
    assert set(guaranteed_columns()) == set(dbt_mart_models()) | {DQ_HISTORY_MART}


@pytest.mark.parametrize("mart", sorted(dbt_mart_models()))
def test_guaranteed_columns_are_declared_in_dbt_yml(mart: str) -> None:
    documented = guaranteed_columns().get(mart)
    assert documented, f"{mart}: no guaranteed columns in docs/marts.md"
    declared = set(dbt_mart_models()[mart])
    missing = [c for c in documented if c not in declared]
    assert not missing, f"{mart}: guaranteed in docs/marts.md, not in its dbt yml: {missing}"


@pytest.mark.parametrize("mart", sorted(m for m in dbt_mart_models() if required_by_contract(m)))
def test_guaranteed_columns_are_what_the_mart_contract_requires(mart: str) -> None:
    """The mart contract checks its column set on every build (an ERROR rule: nothing publishes
    without them), so the guaranteed columns are the built model's."""
    documented = set(guaranteed_columns()[mart])
    required = required_by_contract(mart)
    assert documented == required, (
        f"{mart}: docs/marts.md only {sorted(documented - required)}, "
        f"expectations/marts__{mart}.json only {sorted(required - documented)}")


def test_dq_contract_history_columns_are_the_history_table() -> None:
    assert guaranteed_columns()[DQ_HISTORY_MART] == dq_history_columns()


def test_settings_quoted_in_marts_doc_are_the_dbt_defaults() -> None:
    """'*var* (default)' in docs/marts.md: each var exists with that default."""
    project = yaml.safe_load((REPO / "dbt" / "dbt_project.yml").read_text(encoding="utf-8"))
    quoted = re.findall(r"\*([a-z_]+)\*\s+\(([0-9.]+)[,)]", MARTS_DOC.read_text(encoding="utf-8"))
    assert quoted
    for var, value in quoted:
        assert var in project["vars"], f"docs/marts.md quotes an unknown dbt var {var}"
        assert float(project["vars"][var]) == float(value), var


def test_finding_types_in_marts_doc_are_the_worklist_types() -> None:
    text = MARTS_DOC.read_text(encoding="utf-8")
    documented = [unquote(row[0], "Findings")
                  for row in one_table(text, ["finding_type", "raised when", "severity"],
                                       "Findings")]
    accepted = None
    for model in yaml.safe_load(
            (MART_MODELS / "_marts__models.yml").read_text(encoding="utf-8"))["models"]:
        if model["name"] == "mart_master_data_exceptions":
            column = next(c for c in model["columns"] if c["name"] == "finding_type")
            accepted = next(t["accepted_values"]["arguments"]["values"]
                            for t in column["data_tests"] if isinstance(t, dict)
                            and "accepted_values" in t)
    assert accepted is not None
    assert sorted(documented) == sorted(accepted)


# --------------------------------------------------------------------------------------------
# References
# --------------------------------------------------------------------------------------------


def project_files() -> list[Path]:
    """Tracked files plus new ones git does not ignore."""
    try:
        out = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=REPO, capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git work tree")
    return [REPO / name for name in out.decode().split("\0") if name]


def test_no_project_file_refers_to_the_design_outside_the_repository() -> None:
    needle = "shared/" + "DESIGN.md"  # spelled apart so this file does not match itself
    offenders = []
    for path in project_files():
        try:
            content = path.read_bytes()
        except (FileNotFoundError, IsADirectoryError):
            continue  # deleted in the work tree, or a submodule
        if needle.encode() in content:
            offenders.append(str(path.relative_to(REPO)))
    assert not offenders, f"refer to docs/ instead of {needle}: {offenders}"


LINKED_FROM = [*sorted(DOCS.glob("*.md")), REPO / "README.md", REPO / "dbt" / "README.md",
               REPO / "data" / "mappings" / "README.md"]


@pytest.mark.parametrize("page", LINKED_FROM, ids=lambda p: str(p.relative_to(REPO)))
def test_relative_links_into_and_within_docs_resolve(page: Path) -> None:
    links = re.findall(r"\]\(([^)\s]+)\)", page.read_text(encoding="utf-8"))
    if page.parent != DOCS:  # outside docs/, only the links into docs/ are ours
        links = [link for link in links if "docs/" in link]
    broken = []
    for link in links:
        if re.match(r"[a-z]+:", link) or link.startswith("#"):
            continue
        target = (page.parent / link.split("#")[0]).resolve()
        if not target.exists() and target not in PENDING_DOCS:
            broken.append(link)
    assert not broken, f"{page.relative_to(REPO)}: broken links {broken}"
