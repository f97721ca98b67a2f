"""The command line: ``python -m dagster_project.mapping --mapping NAME --input DIR``.

Owns the arguments (``--check``, ``--extract-date``, ``--tag``, ``--landing``), where the
mapping and the landing folder are found by default (settings), and the exit code: 0 with
the report's summary on stdout, 1 with the one-line error on stderr.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from dagster_project.mapping.apply import apply_mapping
from dagster_project.mapping.config import find_mapping, load_mapping
from dagster_project.mapping.errors import MappingError
from dagster_project.runtime.settings import get_settings


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m dagster_project.mapping",
        description="Map a source system's extract files onto the plansignal landing contract.",
    )
    parser.add_argument("--mapping", required=True,
                        help="mapping file, or its name in the mappings folder (e.g. sap_ecc)")
    parser.add_argument("--input", required=True, type=Path,
                        help="folder holding the source extract files")
    parser.add_argument("--landing", type=Path, default=None,
                        help="landing folder (default: the settings' landing folder)")
    parser.add_argument("--extract-date", type=date.fromisoformat, default=None,
                        help="date of the extract, YYYY-MM-DD (default today): extract_date()")
    parser.add_argument("--tag", default=None,
                        help="extract tag in the landing file names (default the extract date)")
    parser.add_argument("--check", action="store_true",
                        help="map and check everything, write nothing")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(argv)
    try:
        path = find_mapping(args.mapping, get_settings().mappings_dir)
        mapping = load_mapping(path)
        landing = args.landing or get_settings().landing_dir
        report = apply_mapping(mapping, args.input, landing, extract_date=args.extract_date,
                               tag=args.tag, write=not args.check)
    except MappingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(report.summary())
    return 0
