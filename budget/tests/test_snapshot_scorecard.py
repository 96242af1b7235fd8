"""The month-end snapshot and the scorecard on a small data set counted by hand
(DESIGN §5.6): two cities of Jilin (the demo's other profile, where nobody else lives)."""

from datetime import date
from decimal import Decimal as D

import pytest

from accounts.tests.factories import make_person, paid_line
from benefits.tests.factories import retiree
from budget import selectors, snapshot
from budget.choices import Indicator, SnapshotStatus
from budget.models import CollectionTarget, SnapshotCollection, SnapshotLine
from contributions.choices import BillStatus
from contributions.models import Bill
from enrollment.choices import PersonStatus, Sex
from pension.choices import RegionLevel
from pension.errors import Conflict
from pension.models import Agency, StaffUser
from pension.periods import Period

pytestmark = pytest.mark.django_db

JUNE = Period(2026, 6)


@pytest.fixture
def jilin(demo_tiny):
    province = Agency.objects.create(code="JL220000", name="吉林省社保局", region_id="220000")
    nanguan = Agency.objects.create(code="JL220102", name="南关区社保局", region_id="220102")
    changyi = Agency.objects.create(code="JL220202", name="昌邑区社保局", region_id="220202")
    officer = StaffUser.objects.create_user(
        username="jl_budget", password="x", agency=province, roles=["budget_officer"]
    )
    # 长春市 (南关区): P1 contributing, paid 1 000.00 of 1 000.00 (base 5 000 × 20 %);
    # P2 contributing, 500.00 unpaid; P3 interrupted, no line; two retirees, one new
    p1 = make_person(nanguan, born=date(1980, 3, 14), sex=Sex.MALE)  # 46 → band 40
    paid_line(p1, "2026-06", "5000", paid_on=date(2026, 6, 20))
    p2 = make_person(nanguan, born=date(1990, 7, 1), sex=Sex.FEMALE)  # 35 → band 30
    paid_line(p2, "2026-06", "2500", paid_on=None)
    make_person(nanguan, born=date(1985, 1, 1), sex=Sex.MALE, status=PersonStatus.INTERRUPTED)
    # 60 → band 60, retired in June: 1 500 + 800 + 900 = 3 200.00
    retiree(nanguan, born=date(1966, 4, 10), retired="2026-06")
    # 66 → band 60, retired 2020: 2 000 + 500 + 500 = 3 000.00
    retiree(nanguan, born=date(1960, 1, 1), retired="2020-01", basic="2000.00",
            account="500.00", transitional="500.00")  # fmt: skip
    # 吉林市 (昌邑区): P4 contributing, 400.00 paid of 800.00 (base 4 000)
    p4 = make_person(changyi, born=date(1975, 5, 5), sex=Sex.MALE)  # 51 → band 50
    line = paid_line(p4, "2026-06", "4000", paid_on=None)
    Bill.objects.filter(person=p4, period=line.period).update(
        paid_amount=D("400.00"), status=BillStatus.PARTIALLY_PAID
    )
    # 长春市's target of 2026: 24 000.00 a year (2 000.00 a month), 4 insured
    CollectionTarget.objects.create(
        year=2026, region_id="220100", collection_amount=D("24000.00"), insured_target=4,
        set_by=officer,
    )  # fmt: skip
    return officer


def _take(officer):
    run = snapshot.snapshot_take(actor=officer, period=JUNE)
    return snapshot.snapshot_run_execute(run.pk)


def test_snapshot_counts_by_county_age_band_and_sex(jilin):
    run = _take(jilin)
    assert run.status == SnapshotStatus.CALCULATED
    # insured 3 + 1; contributors 2 + 1; retirees 2
    assert (run.insured_count, run.contributor_count, run.retiree_count) == (4, 3, 2)
    lines = {
        (x.region_id, x.age_band, x.sex): (x.insured, x.contributors, x.retirees, x.new_retirees,
                                           x.pension_total)
        for x in SnapshotLine.objects.filter(run=run)
    }  # fmt: skip
    assert lines == {
        ("220102", 40, "M"): (2, 1, 0, 0, D("0.00")),
        ("220102", 30, "F"): (1, 1, 0, 0, D("0.00")),
        ("220102", 60, "M"): (0, 0, 2, 1, D("6200.00")),
        ("220202", 50, "M"): (1, 1, 0, 0, D("0.00")),
    }
    assert {
        c.region_id: (c.assessed, c.collected) for c in SnapshotCollection.objects.filter(run=run)
    } == {
        "220102": (D("1000.00") + D("500.00"), D("1000.00")),
        "220202": (D("800.00"), D("400.00")),
    }


def test_a_month_is_taken_once_and_a_rerun_writes_nothing(jilin):
    run = _take(jilin)
    again = snapshot.snapshot_run_execute(run.pk)
    assert again.status == SnapshotStatus.CALCULATED
    assert SnapshotLine.objects.filter(run=run).count() == 4
    with pytest.raises(Conflict) as refused:
        snapshot.snapshot_take(actor=jilin, period=JUNE)
    assert refused.value.code == "snapshot_taken"


def test_scorecard_equals_the_hand_count(jilin):
    _take(jilin)
    rows, _weights, _reference = selectors.scorecard(
        jilin, year=2026, month=6, level=RegionLevel.CITY
    )
    by_code = {r.code: r for r in rows}
    changchun, jilin_city = by_code["220100"], by_code["220200"]
    assert (changchun.insured, changchun.contributors, changchun.retirees) == (3, 2, 2)
    assert changchun.new_retirees == 1
    assert changchun.average_pension == D("3100.00")  # 6 200 / 2
    assert changchun.dependency_ratio == D("1.0000")  # 2 contributors / 2 retirees
    assert changchun.rates == {
        Indicator.COLLECTION_BUDGET: D("0.5000"),  # 1 000 / (24 000 ÷ 12)
        Indicator.ENROLLMENT_PLAN: D("0.7500"),  # 3 / 4
        Indicator.COLLECTION_RATE: D("0.6667"),  # 1 000 / 1 500
        Indicator.CONTRIBUTION_RATE: D("0.6667"),  # 2 / 3
        Indicator.REMITTANCE: None,  # the fund ledger's
        Indicator.SUBSIDY_ARRIVAL: None,
    }
    # (0.25 × 0.5 + 0.15 × 0.75 + 0.20 × 0.6667 + 0.15 × 0.6667) / 0.75 × 100
    # = 0.470845 / 0.75 × 100 = 62.779… → 62.78
    assert changchun.score == D("62.78")
    # 吉林市: (0.20 × 0.5 + 0.15 × 1) / 0.35 × 100 = 71.428… → 71.43, first
    assert jilin_city.rates[Indicator.COLLECTION_RATE] == D("0.5000")
    assert jilin_city.score == D("71.43")
    assert (jilin_city.rank, changchun.rank) == (1, 2)
    assert rows[0].code == "220200"
    assert changchun.structure == {"M 40": 2, "F 30": 1, "M 60": 2}
