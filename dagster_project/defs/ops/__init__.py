"""Operations: the daily schedule, the new-extract sensor, the run watchdog, the dbt build gate,
the failure notification sensors for Dagster-launched runs."""
