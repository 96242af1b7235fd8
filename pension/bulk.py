"""Bulk loading with PostgreSQL ``COPY``: the way batches and demo data write many rows.

``copy_rows`` streams rows computed in Python into a table through ``COPY ... FROM
STDIN`` in CSV form, in chunks, in the caller's transaction. Values are written with
``str()``, so Decimals keep their exact digits; ``None`` becomes NULL.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from django.db import connection

_NULL = "\\N"


def _cell(value: Any) -> str:
    if value is None:
        return _NULL
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, float):
        raise TypeError("float values are not copied; use Decimal")
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list | tuple):
        # PostgreSQL array literal of plain words (roles and the like)
        return "{" + ",".join(str(v) for v in value) + "}"
    return str(value)


def copy_rows(
    table: str,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    chunk_rows: int = 50_000,
) -> int:
    """COPY ``rows`` into ``table``; returns the number of rows written."""
    sql = (
        f"COPY {connection.ops.quote_name(table)} "
        f"({', '.join(connection.ops.quote_name(c) for c in columns)}) "
        f"FROM STDIN WITH (FORMAT csv, NULL '{_NULL}')"
    )
    total = 0
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    pending = 0
    with connection.cursor() as cursor:
        raw = cursor.cursor  # the psycopg2 cursor under Django's wrapper

        def flush() -> None:
            buffer.seek(0)
            raw.copy_expert(sql, buffer)
            buffer.seek(0)
            buffer.truncate()

        for row in rows:
            writer.writerow([_cell(v) for v in row])
            pending += 1
            if pending >= chunk_rows:
                flush()
                total += pending
                pending = 0
        if pending:
            flush()
            total += pending
    return total
