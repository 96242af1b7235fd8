"""The demo step "benefits" (benefits/demo.py): a determination per retiree by the
formulas, and twelve months of payroll made by the batch itself."""

from __future__ import annotations

from decimal import ROUND_HALF_UP
from decimal import Decimal as D

import pytest
from django.db.models import Count, Sum

from benefits.choices import PaymentStatus, PayrollItem, PayrollRunStatus
from benefits.models import (
    PayrollDue,
    PayrollLine,
    PayrollPayment,
    PayrollRun,
    PensionDetermination,
)
from enrollment.choices import PersonStatus
from enrollment.models import InsuredPerson
from pension.demo import load_demo
from pension.periods import Period

pytestmark = pytest.mark.django_db
FEN = D("0.01")


@pytest.fixture
def history(db):
    return load_demo(scale="tiny", log=lambda message: None, history_years=1, until="benefits")


def test_every_retiree_has_a_determination_worked_by_the_formulas(history):
    retired = InsuredPerson.objects.filter(status=PersonStatus.RETIRED)
    determinations = PensionDetermination.objects.filter(superseded_by__isnull=True)
    assert determinations.count() == retired.count() > 0
    for d in determinations[:10]:
        # basic = (C + C × Z) ÷ 2 × N × 1 %, account = balance ÷ divisor,
        # transitional = C × Z × deemed years × 1.3 %
        n = (D(d.actual_months + d.deemed_months) / 12).quantize(D("0.0001"), ROUND_HALF_UP)
        assert d.contribution_years == n
        c, z = d.calculation_base, d.average_index
        assert d.basic_pension == ((c + c * z) / 2 * n / 100).quantize(FEN, ROUND_HALF_UP)
        assert d.account_pension == (d.account_balance / d.divisor).quantize(FEN, ROUND_HALF_UP)
        deemed = (D(d.deemed_months) / 12).quantize(D("0.0001"), ROUND_HALF_UP)
        assert d.transitional_pension == (c * z * deemed * D("0.013")).quantize(FEN, ROUND_HALF_UP)
        assert d.inputs["demo"] is True and len(d.inputs["explanation"]) == 5


def test_twelve_months_of_payroll_history(history):
    this_month = Period.from_date(history.today)
    runs = list(PayrollRun.objects.filter(dry_run=False).order_by("period"))
    assert [r.period for r in runs] == [this_month - k for k in range(12, 0, -1)]
    assert {r.status for r in runs[:-1]} == {PayrollRunStatus.CLOSED}
    assert runs[-1].status == PayrollRunStatus.EXPORTED
    assert runs[-1].bank_files.filter(file_format="csv").exists()
    # every retiree paid once a month: no (person, period, item) twice
    lines = PayrollLine.objects.filter(posted=True, item=PayrollItem.PENSION)
    assert not lines.values("person", "period").annotate(n=Count("id")).filter(n__gt=1).exists()
    # a run's total is the sum of its payments, and each payment the sum of its lines
    for run in runs:
        paid = PayrollPayment.objects.filter(run=run).aggregate(s=Sum("amount"))["s"]
        assert run.total_amount == paid
        assert PayrollLine.objects.filter(run=run).aggregate(s=Sum("amount"))["s"] == paid
    # paid through last month
    current = PensionDetermination.objects.filter(superseded_by__isnull=True)
    assert set(current.values_list("paid_through", flat=True)) == {this_month.prev()}
    # the failures of the month before last are re-issued by last month's run
    failed = PayrollPayment.objects.filter(run=runs[-2], status=PaymentStatus.FAILED)
    for payment in failed:
        due = PayrollDue.objects.get(source=f"payment:{payment.pk}")
        assert due.run_id == runs[-1].pk and due.amount == payment.amount
