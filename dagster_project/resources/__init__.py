"""Resources shared by every layer."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb

from dagster_project.settings import Settings, get_settings


class Warehouse(dg.ConfigurableResource):
    """Where the pipeline reads and writes: landing folder, DuckDB files, site folder.

    Defaults come from :mod:`dagster_project.settings` (environment variables); the pipeline is
    the only writer of ``pipeline_db`` and never writes into ``serving_db`` in place.
    """

    landing_dir: str
    pipeline_db: str
    serving_db: str
    site_dir: str
    truth_dir: str

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> Warehouse:
        settings = settings or get_settings()
        return cls(
            landing_dir=str(settings.landing_dir),
            pipeline_db=str(settings.pipeline_db),
            serving_db=str(settings.serving_db),
            site_dir=str(settings.site_dir),
            truth_dir=str(settings.truth_dir),
        )

    @property
    def landing_path(self) -> Path:
        return Path(self.landing_dir)

    @property
    def pipeline_path(self) -> Path:
        return Path(self.pipeline_db)

    @property
    def serving_path(self) -> Path:
        return Path(self.serving_db)

    @property
    def site_path(self) -> Path:
        return Path(self.site_dir)

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-write connection to the pipeline database, closed on exit.

        Connections are short-lived because dbt, a separate process, writes the same file.
        """
        self.pipeline_path.parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(str(self.pipeline_path))
        try:
            yield con
        finally:
            con.close()
