"""A run prints its stages as they finish (plain lines when not a terminal); --quiet does not."""

from __future__ import annotations

import re

import pytest

from dagster_project.cli import main
from tests.conftest import point_settings_at
from tooling.demo_data import generate

STAGE = re.compile(r"^ *\d+\.\ds  (.*)$")


@pytest.mark.e2e
def test_run_prints_each_stage_then_the_summary(tmp_path, monkeypatch, capsys):
    settings = point_settings_at(monkeypatch, tmp_path)
    generate(0.03, 5, settings.landing_dir, settings.truth_dir, progress=False)
    assert main(["run"]) == 0
    out = capsys.readouterr().out
    stages = [m.group(1) for line in out.splitlines() if (m := STAGE.match(line))]
    ingest = [s for s in stages if s.startswith("ingest erp_goods_receipts: ")]
    assert len(ingest) == 1 and re.search(
        r": \d+ new extract\(s\), [\d,]+ rows, [\d,]+ rows/s in [\d.]+ s, contract passed$",
        ingest[0]), ingest
    assert sum(s.startswith("ingest ") for s in stages) == 9
    built = [s for s in stages if s.startswith("dbt build: ") and "built" in s]
    assert len(built) == 1 and re.match(r"dbt build: (\d+)/\1 models built in", built[0])
    assert "contract marts/mart_master_data_exceptions: passed" in " ".join(stages)
    assert any(s.startswith("publish: done in") for s in stages)
    assert any(s.startswith("site: done in") for s in stages)
    assert out.index("=== plansignal run summary ===") > out.index(built[0])
    assert "\x1b[" not in out  # not a terminal: no colour codes, no live bar

    assert main(["run", "--quiet"]) == 0  # nothing new, and nothing but the summary
    out = capsys.readouterr().out
    assert not [line for line in out.splitlines() if STAGE.match(line)]
    assert "nothing new since run" in out
