"""Pure helpers: no Dagster, no global state."""
