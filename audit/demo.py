"""Demo step "archives": the business archives' reference data (material types and
retention periods, ``audit.reference``), which the audit migration seeds; put back
here when a test database was emptied by a flush (a transactional test's teardown
truncates every table, the migration's rows too)."""

from __future__ import annotations

from audit.reference import ensure_archive_reference_data
from pension.demo import DemoContext, register


def load(ctx: DemoContext) -> None:
    created = ensure_archive_reference_data()
    if created:
        ctx.log(f"demo: archives reference data, {created} rows")


register("archives", load)
