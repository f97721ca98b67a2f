"""The dbt cross-database macros this project uses, rendered as DuckDB SQL for linting."""

from __future__ import annotations


def datediff(first_date: str, second_date: str, datepart: str) -> str:
    return f"date_diff('{datepart}', {first_date}, {second_date})"


def dateadd(datepart: str, interval: object, from_date_or_timestamp: str) -> str:
    return f"({from_date_or_timestamp} + cast({interval} as bigint) * interval 1 {datepart})"


def hash(field: str) -> str:  # noqa: A001 - dbt's name
    return f"md5(cast({field} as varchar))"


def concat(fields: list[str]) -> str:
    return " || ".join(fields)


def type_string() -> str:
    return "varchar"


def type_float() -> str:
    return "double"


def type_int() -> str:
    return "integer"


def type_timestamp() -> str:
    return "timestamp"


def safe_cast(field: str, type_: str) -> str:
    return f"try_cast({field} as {type_})"


def listagg(
    measure: str,
    delimiter_text: str = "','",
    order_by_clause: str | None = None,
    limit_num: int | None = None,
) -> str:
    order = f" {order_by_clause}" if order_by_clause else ""
    return f"string_agg({measure}, {delimiter_text}{order})"


def cast_bool_to_text(field: str) -> str:
    return f"cast({field} as varchar)"


def date_trunc(datepart: str, date: str) -> str:
    return f"date_trunc('{datepart}', {date})"


def escape_single_quotes(expression: str) -> str:
    return expression.replace("'", "''")


def string_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def type_bigint() -> str:
    return "bigint"
