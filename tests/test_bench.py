"""`make bench` helpers that do not need a pipeline run (the bench itself is `make bench`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tooling.bench import __main__ as bench


def test_slowest_dbt_nodes_come_from_the_runs_own_target_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bench, "DBT_TARGET_ROOT", tmp_path)
    results = [
        {"unique_id": "model.plansignal.stg_erp__goods_receipts", "execution_time": 9.61},
        {"unique_id": "test.plansignal.unique_stg_erp__goods_receipts_receipt_id.1a",
         "execution_time": 1.14},
        {"unique_id": "model.plansignal.int_goods_receipts__netted", "execution_time": 7.24},
    ]
    mine = tmp_path / "plansignal_dbt_models-abcdef0-1234567"
    other = tmp_path / "plansignal_dbt_models-9999999-1234567"  # another run's folder
    for folder, payload in ((mine, results), (other, [results[1]])):
        folder.mkdir()
        (folder / "run_results.json").write_text(json.dumps({"results": payload}))
    assert bench.slowest_dbt_nodes("abcdef0-run-id", top=2) == {
        "model stg_erp__goods_receipts": 9.61,
        "model int_goods_receipts__netted": 7.24,
    }
    assert bench.slowest_dbt_nodes("0000000-no-such-run") == {}
