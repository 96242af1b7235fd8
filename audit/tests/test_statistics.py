"""The monthly statistics ledger (统计台账) and the analysis report: the month-end
snapshot's figures by county and city, equal to the hand sums of a small snapshot; the
Excel download; another county sees only its own."""

from __future__ import annotations

import io
from decimal import Decimal as D

import pytest
from openpyxl import load_workbook

from audit import statistics
from budget.models import SnapshotCollection, SnapshotLine, SnapshotRun
from pension.periods import Period

pytestmark = pytest.mark.django_db
OCTOBER = Period.parse("2026-10")


def _snapshot(period=OCTOBER):
    run = SnapshotRun.objects.create(period=period, region_id="140000", status="calculated")
    # county 140105 (city 1401): two lines; county 140108 (city 1401): one line
    rows = [
        ("140105", 30, "M", 10, 8, 0, 0, "0"),
        ("140105", 60, "F", 0, 0, 4, 1, "12000.00"),
        ("140108", 40, "M", 6, 5, 2, 0, "5100.50"),
    ]
    for region, band, sex, insured, contributors, retirees, new, total in rows:
        SnapshotLine.objects.create(
            run=run, period=period, region_id=region, age_band=band, sex=sex, insured=insured,
            contributors=contributors, retirees=retirees, new_retirees=new,
            pension_total=D(total),
        )  # fmt: skip
    SnapshotCollection.objects.create(
        run=run, period=period, region_id="140105", assessed=D("3000.00"), collected=D("2400.00")
    )
    SnapshotCollection.objects.create(
        run=run, period=period, region_id="140108", assessed=D("1000.00"), collected=D("1000.00")
    )
    return run


def test_ledger_by_county_and_city_equals_hand_sums(staff):
    _snapshot()
    result = statistics.ledger(staff["auditor"], period=OCTOBER, region="1401")
    assert result.taken
    rows = {r.code: r for r in result.rows}
    a, b = rows["140105"], rows["140108"]
    assert (a.insured, a.contributors, a.retirees, a.new_retirees) == (10, 8, 4, 1)
    assert (a.pension_total, a.assessed, a.collected) == (D("12000.00"), D("3000.00"), D("2400.00"))
    assert a.rates["collection"] == D("0.8000") and a.dependency_ratio == D("2.0000")
    assert a.average_pension == D("3000.00")
    assert (b.insured, b.contributors, b.retirees) == (6, 5, 2)
    t = result.total
    assert (t.insured, t.contributors, t.retirees, t.new_retirees) == (16, 13, 6, 1)
    assert (t.pension_total, t.assessed, t.collected) == (
        D("17100.50"), D("4000.00"), D("3400.00"),
    )  # fmt: skip
    assert t.rates["collection"] == D("0.8500")
    city = statistics.ledger(staff["auditor"], period=OCTOBER, level="city", region="1401")
    [taiyuan] = city.rows
    assert (taiyuan.code, taiyuan.insured, taiyuan.retirees) == ("140100", 16, 6)
    # a county's staff: its own row only
    county = statistics.ledger(staff["county_head"], period=OCTOBER)
    assert [r.code for r in county.rows if r.insured] == ["140105"]
    assert county.total.insured == 10
    # a month without a snapshot: no ledger
    assert not statistics.ledger(staff["auditor"], period=Period.parse("2026-09")).taken


def test_excel_and_pages(client, staff):
    _snapshot()
    client.force_login(staff["auditor"])
    page = client.get("/audit/statistics/?period=2026-10&region=1401").content.decode()
    assert 'data-region="140105"' in page and "统计台账" in page
    response = client.get("/audit/statistics/export?period=2026-10&region=1401")
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0][0] == "月度统计台账" and values[1][1] == "2026-10"
    data = {row[0]: row for row in values[3:]}
    assert data["140105"][2] == 10 and data["1401"][2] == 16
    analysis = client.get("/audit/statistics/analysis/?period=2026-10").content.decode()
    assert 'data-period="2026-10"' in analysis and "分析报告" in analysis
    client.force_login(staff["caseworker"])
    assert client.get("/audit/statistics/").status_code == 403
