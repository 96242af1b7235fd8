"""Benchmark of the nightly risk scan (make bench-risk): N synthetic retirees
(benefits.bench_data.make_retirees, N = BENCH_RISK_PEOPLE, default 100 000) on the tiny
demo province, each rule timed alone, then all rules together. Not collected by the
suite (the file name does not start with test_)."""

import os
import time
from datetime import date

import pytest
from django.db import connection

from audit import risk
from benefits.bench_data import make_retirees


@pytest.mark.django_db(transaction=True)
def test_bench(demo_tiny):
    t = time.monotonic()
    make_retirees(int(os.environ.get("BENCH_RISK_PEOPLE", "100000")), log=lambda m: None)
    print("load", round(time.monotonic() - t, 1))
    with connection.cursor() as c:
        c.execute("SELECT count(*) FROM enrollment_insuredperson")
        print("people", c.fetchone()[0])
        c.execute("ANALYZE")
    for rule in risk.RULES:
        t = time.monotonic()
        run = risk.risk_scan(actor=None, scan_date=date(2026, 12, 5), rules=[rule])
        print(rule, round(time.monotonic() - t, 2), run.alert_count)
    t = time.monotonic()
    run = risk.risk_scan(actor=None, scan_date=date(2026, 12, 5))
    print("all", round(time.monotonic() - t, 2), run.alert_count)
