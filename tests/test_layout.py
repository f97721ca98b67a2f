"""The package layout is the architecture: each room imports only what its docstring allows.

Reads every module's imports (ast, nothing is imported) and holds them to the table in
README.md "Layout" and dagster_project/__init__.py.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from dagster_project.runtime.settings import REPO_ROOT

PRODUCT = REPO_ROOT / "dagster_project"
ROOMS = ("runtime", "warehouse", "ingest", "mapping", "contracts", "governance", "exports",
         "site", "resources", "defs")
# What each room may import from the product package (itself always).
ALLOWED: dict[str, set[str]] = {
    "runtime": set(),
    "warehouse": {"runtime"},
    "ingest": {"runtime", "warehouse"},
    "mapping": {"runtime", "warehouse", "ingest"},
    "contracts": {"runtime", "warehouse"},
    "governance": {"runtime", "warehouse"},
    "exports": {"runtime", "warehouse"},
    "site": {"runtime", "warehouse", "ingest", "contracts"},
    "resources": {"runtime", "warehouse", "ingest", "contracts"},
    "defs": {"runtime", "warehouse", "ingest", "contracts", "resources", "site", "governance"},
    "cli": {"runtime", "warehouse", "ingest", "contracts", "resources", "site", "defs",
            "definitions", "governance", "exports"},
    "definitions": {"runtime", "resources", "defs"},
}
# Only these may import the site (a leaf).
SITE_IMPORTERS = {"cli", "defs/site"}
MAX_MODULE_LINES = 600


def product_modules() -> list[Path]:
    return sorted(p for p in PRODUCT.rglob("*.py") if "__pycache__" not in p.parts)


def room_of(path: Path) -> str:
    relative = path.relative_to(PRODUCT)
    return relative.parts[0] if len(relative.parts) > 1 else relative.stem


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


@pytest.mark.parametrize("path", product_modules(), ids=lambda p: str(p.relative_to(PRODUCT)))
def test_each_room_imports_only_what_it_may(path: Path) -> None:
    room = room_of(path)
    if room == "__init__":
        return
    allowed = ALLOWED[room] | {room}
    for module in imported_modules(path):
        parts = module.split(".")
        assert parts[0] != "tooling", f"{path.name}: the product never imports tooling ({module})"
        if parts[0] != "dagster_project" or len(parts) < 2:
            continue
        target = parts[1]
        assert target in allowed, f"{room} may not import {target} ({module} in {path.name})"
        if target == "site":
            where = str(path.relative_to(PRODUCT).with_suffix(""))
            assert where == "cli" or where.startswith("defs/site"), f"{where} imports the site"


@pytest.mark.parametrize("path", product_modules(), ids=lambda p: str(p.relative_to(PRODUCT)))
def test_no_product_module_over_600_lines(path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_MODULE_LINES, f"{path}: {lines} lines"


def test_every_room_says_what_it_owns() -> None:
    for room in ROOMS:
        init = PRODUCT / room / "__init__.py"
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert doc and len(doc) > 80, f"{init}: no docstring saying what the room owns"
