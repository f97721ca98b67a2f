"""The governance site, written after every publish.

The site package (dagster_project/site) runs no process; this asset makes what it needs from
dbt through the Dagster dbt resource, the one way this project runs dbt: ``dbt docs generate
--static`` against the pipeline database, reusing the build's manifest (`keep_build_manifest`),
so dbt only reads the catalog. The page is kept next to the database (`last_dbt_docs`), for
the CLI's ``site`` command to reuse without running dbt.

The page shows the dbt project (manifest) and the warehouse's relations and column types
(catalog; the DuckDB adapter reports no row counts or other statistics), never a row of data.
So a run whose build changed only rows (a new day of extracts) keeps the page it has: its
inputs (`dbt_docs_inputs`) are recorded beside it, and dbt runs again only when they differ
(about 4 s a run at scale 100).
"""

import hashlib
import os
import shutil
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

import dagster as dg
import duckdb

from dagster_project.defs.dbt.assets import BUILD_MANIFEST, dbt_docs_target
from dagster_project.defs.publish.assets import SERVING_KEY
from dagster_project.resources import Warehouse
from dagster_project.resources.dbt import PlansignalDbtCliResource
from dagster_project.runtime.settings import DBT_PROJECT_DIR, exports_dir_for
from dagster_project.site import DbtDocs, build_site, published_status
from dagster_project.warehouse.build_state import dbt_project_digest

DBT_DOCS_PAGE = "site_dbt_docs.html"  # the last good static page, beside dbt's target files
DBT_DOCS_INPUTS = "site_dbt_docs.inputs"  # dbt_docs_inputs() of that page
WHAT_DBT_DOCS_SHOW = "models, sources, tests and lineage of the dbt project"


def dbt_docs_inputs(con: duckdb.DuckDBPyConnection) -> str:
    """sha256 of everything the dbt docs page is made from: the dbt project's files, the dbt
    version, and every relation's columns and types in the pipeline database."""
    columns = con.execute(
        "select table_schema, table_name, column_name, data_type "
        "from information_schema.columns where table_catalog = current_database() "
        "order by all"
    ).fetchall()
    parts = [
        dbt_project_digest(DBT_PROJECT_DIR),
        f"dbt-core {version('dbt-core')}, dbt-duckdb {version('dbt-duckdb')}",
        repr(columns),
    ]
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()


def generate_dbt_docs(
    dbt: PlansignalDbtCliResource, pipeline_db: Path, inputs: str | None = None
) -> DbtDocs:
    """Run ``dbt docs generate --static`` through the resource; the page or why there is none.

    `inputs` (dbt_docs_inputs of the database as it is now): when the page beside the database
    was made from the same, it is returned as it is and dbt does not run.

    With the build's manifest in the target folder dbt does not compile again
    (``--no-compile``: compiling ~300 nodes cost about 4 s a run); dbt 1.11 then expects it
    as manifest.json there, hence the copy. dbt opens the database read-write: nothing else
    may hold it meanwhile (the site reads it afterwards).
    """
    if not pipeline_db.exists():
        return DbtDocs(None, "the pipeline database does not exist yet")
    target = dbt_docs_target(pipeline_db)
    target.mkdir(parents=True, exist_ok=True)
    page, recorded = target / DBT_DOCS_PAGE, target / DBT_DOCS_INPUTS
    if inputs is not None and page.is_file() and recorded.is_file() \
            and recorded.read_text(encoding="utf-8") == inputs:
        when = datetime.fromtimestamp(page.stat().st_mtime, UTC)
        return DbtDocs(page, f"{WHAT_DBT_DOCS_SHOW}, generated {when:%Y-%m-%d %H:%M} UTC "
                             "(unchanged since: same project, relations and columns)")
    recorded.unlink(missing_ok=True)
    args = ["docs", "generate", "--static"]
    if (target / BUILD_MANIFEST).is_file():
        shutil.copyfile(target / BUILD_MANIFEST, target / "manifest.json")
        args.append("--no-compile")
    generated = target / "static_index.html"
    generated.unlink(missing_ok=True)
    try:
        invocation = dbt.cli(
            args, target_path=target, raise_on_error=False, pipeline_db=pipeline_db
        ).wait()
        error = invocation.get_error()
    except Exception as exc:  # dbt docs are a view: never fail the site for them
        error = exc
    if error is not None or not generated.is_file():
        first_line = (str(error) if error else "no page written").strip().splitlines()
        return DbtDocs(None, f"dbt docs generate failed: {(first_line or ['?'])[0][:300]}; "
                             f"log {target / 'dbt.log'}")
    os.replace(generated, page)  # a reader (the CLI's site command) sees a whole page
    if inputs is not None:
        recorded.write_text(inputs, encoding="utf-8")
    return DbtDocs(page, f"{WHAT_DBT_DOCS_SHOW}, generated {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")


def last_dbt_docs(pipeline_db: Path) -> DbtDocs:
    """The page the last site asset generated, without running dbt (the CLI's site command)."""
    page = dbt_docs_target(pipeline_db) / DBT_DOCS_PAGE
    if not page.is_file():
        return DbtDocs(None, "no pipeline run has generated dbt docs yet")
    when = datetime.fromtimestamp(page.stat().st_mtime, UTC)
    return DbtDocs(page, f"{WHAT_DBT_DOCS_SHOW}, generated {when:%Y-%m-%d %H:%M} UTC")


@dg.asset(
    key=dg.AssetKey(["site", "governance_site"]),
    group_name="site",
    deps=[SERVING_KEY],
    description="Static data-quality site for governance reviews (data/site/index.html): "
                "contract pass rates, findings, per-part evidence, GX Data Docs, dbt docs.",
)
def governance_site(
    context: dg.AssetExecutionContext, warehouse: Warehouse, dbt: PlansignalDbtCliResource
) -> dg.MaterializeResult:
    with warehouse.connect() as con:
        inputs = dbt_docs_inputs(con)
    dbt_docs = generate_dbt_docs(dbt, warehouse.pipeline_path, inputs)
    if dbt_docs.page is None:
        context.log.warning(f"dbt docs not regenerated: {dbt_docs.note}")
    index = build_site(
        warehouse.pipeline_path, warehouse.serving_path, warehouse.site_path,
        status_line=published_status(context.run_id), dbt_docs=dbt_docs,
        extract_max_age_days=warehouse.extract_max_age_days,
        download_dirs=[Path(d) for d in (warehouse.planner_exports_dir,) if d]
        + [exports_dir_for(warehouse.serving_path)],
    )
    site = index.parent
    return dg.MaterializeResult(metadata={
        "index": dg.MetadataValue.path(str(index)),
        "evidence_pages": len(list((site / "parts").glob("*.html"))),
        "gx_data_docs": (site / "gx" / "index.html").exists(),
        "dbt_docs": (site / "dbt" / "index.html").exists(),
        "dbt_docs_note": dbt_docs.note,
    })
