{#
    The rows of one steward decision file, <PLANSIGNAL_DECISIONS_DIR>/<name>.csv (header row,
    comma separated, double-quoted fields), typed by `columns` ([[name, 'string' | 'date']]).
    A select statement, for an import CTE of the models in models/staging/steward.

    Why not dbt seeds: these files may live outside the dbt project (tests and trial homes
    point PLANSIGNAL_DECISIONS_DIR at their own folder), and dbt writes a seed's compiled SQL
    to target/run/<project>/<seed path>, which for an absolute seed path is the CSV itself
    (it overwrote the file when tried). Reading the file in the model keeps dbt the one reader
    of the decisions; the build fingerprint follows the folder (warehouse/build_state.py).
    The default folder is `decisions`, relative to the dbt project, where dbt runs.
#}
{% macro read_steward_decisions(name, columns) -%}
    {%- set path = env_var('PLANSIGNAL_DECISIONS_DIR', 'decisions') ~ '/' ~ name ~ '.csv' -%}
    {{ return(adapter.dispatch('read_steward_decisions', 'plansignal')(path, columns)) }}
{%- endmacro %}

{% macro default__read_steward_decisions(path, columns) -%}
    {%- set duckdb_types = {'string': 'VARCHAR', 'date': 'DATE'} -%}
    select
        {%- for column in columns %}
        {{ column[0] }}{{ ',' if not loop.last }}
        {%- endfor %}
    from read_csv(
        '{{ path | replace("'", "''") }}',
        header = true,
        auto_detect = false,
        delim = ',',
        quote = '"',
        escape = '"',
        columns = {
            {%- for column in columns %}
            '{{ column[0] }}': '{{ duckdb_types[column[1]] }}'{{ ',' if not loop.last }}
            {%- endfor %}
        }
    )
{%- endmacro %}

{#
    Spark SQL reads a CSV path as a table without options: columns _c0, _c1, ... as strings and
    the header as a row, which is dropped by its first column's name.
#}
{% macro spark__read_steward_decisions(path, columns) -%}
    select
        {%- for column in columns %}
        cast(_c{{ loop.index0 }} as {{ column[1] }}) as {{ column[0] }}{{ ',' if not loop.last }}
        {%- endfor %}
    from csv.`{{ path }}`
    where _c0 <> '{{ columns[0][0] }}'
{%- endmacro %}
