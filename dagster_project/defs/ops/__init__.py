"""Operations: the daily schedule, the new-extract sensor, the run watchdog, the dbt build gate."""
