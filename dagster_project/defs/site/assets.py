"""The governance site, written after every publish."""


import dagster as dg

from dagster_project.defs.publish.assets import SERVING_KEY
from dagster_project.resources import Warehouse
from dagster_project.site import build_site, published_status


@dg.asset(
    key=dg.AssetKey(["site", "governance_site"]),
    group_name="site",
    deps=[SERVING_KEY],
    description="Static data-quality site for governance reviews (data/site/index.html): "
                "contract pass rates, findings, per-part evidence, GX Data Docs, dbt docs.",
)
def governance_site(
    context: dg.AssetExecutionContext, warehouse: Warehouse
) -> dg.MaterializeResult:
    index = build_site(
        warehouse.pipeline_path, warehouse.serving_path, warehouse.site_path,
        status_line=published_status(context.run_id),
    )
    site = index.parent
    return dg.MaterializeResult(metadata={
        "index": dg.MetadataValue.path(str(index)),
        "evidence_pages": len(list((site / "parts").glob("*.html"))),
        "gx_data_docs": (site / "gx" / "index.html").exists(),
        "dbt_docs": (site / "dbt" / "index.html").exists(),
    })
