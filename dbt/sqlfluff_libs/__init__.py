"""Lint-time stand-ins for dbt's Jinja context, for sqlfluff's jinja templater (.sqlfluff).

sqlfluff renders the models without dbt: `ref`, `source`, `var`, `config` and `return` come from
its dbt builtins, our own macros are loaded from ../macros, and this package supplies the two
namespaces those macros and the models call: `adapter` (dispatch to the duckdb__/default__
implementation of our own macros) and `dbt` (the cross-database macros we use, rendered as
DuckDB SQL). Only for linting: dbt itself never imports this.
"""
