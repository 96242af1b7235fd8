"""The interest true-up of accounts that left during the year (DESIGN §5.3, issue 12):
one retired, one died, one settled, one transferred out in 2025, each with the interest
to the month of leaving posted at the provisional rate (2025 has no rate in the seed:
the last announced, 2024's 2.62 %). Then the 2025 rate is entered (3 %, a test value)
and the 2025 interest run trues them up; figures worked by hand.

Monthly product to the month of leaving m: interest = (opening × r × m + r × Σ aₙ ×
(m − n + 1)) ÷ 12, rounded half-up to the fen. Every account here has opening 0 and one
entry in January (n = 1), so interest = a × r × m ÷ 12.
"""

# ruff: noqa: F811  (the retirement tests' fixtures, imported, are arguments here)
from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from accounts import cases, runs
from accounts.choices import AccountStatus, EntryKind, SettlementReason
from accounts.models import AccountEntry, AccountRun, InterestLine, PensionAccount
from accounts.services import account_balance
from accounts.tests.factories import account_with, make_person
from benefits.choices import DeterminationStatus, PayrollItem
from benefits.determination import trueup
from benefits.models import PayrollDue, PensionDetermination
from benefits.tests.test_retirement import english, request_for, wang  # noqa: F401
from benefits.tests.test_survivors import claim_for, contribute, income  # noqa: F401
from pension.approvals import approval_request_approve
from pension.errors import Conflict
from pension.models import ApprovalRequest, ApprovalStatus, PaymentInstruction, PolicyParameter
from pension.periods import Period

pytestmark = pytest.mark.django_db
PROVINCE = "140000"


def rate_2025(value: str) -> None:
    PolicyParameter.objects.create(
        key="accounts.interest_rate", effective_from=date(2025, 1, 1), value=value,
        reference_year=2025, source="test value (not a published rate)",
    )  # fmt: skip


def interest_2025(staff) -> AccountRun:
    run = runs.interest_run_create(actor=staff["province_accountant"], region=PROVINCE, year=2025)
    run = runs.interest_run_execute(run.pk)
    runs.interest_run_approve(actor=staff["province_reviewer"], run=run, queue_posting=False)
    return runs.interest_run_post(run.pk)


def line_of(run, account) -> tuple:
    line = InterestLine.objects.get(run=run, account=account)
    return (line.true_up, line.months, line.opening, line.credits, line.weighted, line.interest,
            line.already_posted, line.posted_amount, line.closing)  # fmt: skip


@pytest.fixture
def retired(staff, wang):
    """Wang retires 2025-04 (test_retirement): 41 520.00 from 2025-01, interest to April
    at 2.62 %: 41 520 × 0.0262 × 4 ÷ 12 = 362.608 → 362.61; balance 41 882.61; account
    pension 41 882.61 ÷ 138.4 = 302.62; total 3 086.36. Paid through 2025-12."""
    request = request_for(wang, staff["caseworker"])
    approval_request_approve(actor=staff["reviewer"], request_id=request.pk)
    determination = PensionDetermination.objects.get(person=wang)
    assert (determination.account_balance, determination.account_pension, determination.total) == (
        D("41882.61"), D("302.62"), D("3086.36"),
    )  # fmt: skip
    PensionDetermination.objects.filter(pk=determination.pk).update(paid_through=Period(2025, 12))
    return determination


@pytest.fixture
def settled(staff):
    """10 000.00 from 2025-01, settled (emigration) in 2025-06: 6 months at 2.62 %:
    10 000 × 0.0262 × 6 ÷ 12 = 131.00, paid out 10 131.00 to 李出境."""
    account = account_with(
        make_person(staff["caseworker"].agency), [("migrated_balance", "2025-01", "10000.00")]
    )
    request = cases.settlement_request(
        actor=staff["caseworker"], account=account, reason_kind=SettlementReason.EMIGRATION,
        payee_name="李出境", payee_account="6222000011119999", payee_bank="中国银行",
        reason="定居国外", today=date(2025, 6, 20),
    )  # fmt: skip
    approval_request_approve(actor=staff["reviewer"], request_id=request.pk)
    return account


@pytest.fixture
def transferred(staff):
    """30 000.00 from 2025-01, transferred to 河北省 in 2025-03 (no contribution lines
    here: no pooled share): 30 000 × 0.0262 × 3 ÷ 12 = 196.50, 30 196.50 moved."""
    account = account_with(
        make_person(staff["caseworker"].agency), [("migrated_balance", "2025-01", "30000.00")]
    )
    request = cases.transfer_out_request(
        actor=staff["caseworker"], account=account, other_province="河北省",
        certificate_number="ZY-2025-0042", reason="新单位在河北",
        payee_name="河北省社会保险事业管理局", payee_bank="中国工商银行",
        payee_account="0402000000000005678", today=date(2025, 3, 10),
    )  # fmt: skip
    approval_request_approve(actor=staff["reviewer"], request_id=request.pk)
    return account


@pytest.fixture
def died(staff, income):
    """钱参保, insured, died 2025-05-10; 12 000.00 from 2025-01: 5 months at 2.62 %:
    12 000 × 0.0262 × 5 ÷ 12 = 131.00, 12 131.00 to the heirs in the survivors' claim
    (with the funeral grant 2 × 2 800.00 and the survivors' pension 10 × 2 800.00:
    192 months 2009-01 … 2024-12 → 9 + (192 − 180) // 12 = 10), net 45 731.00."""
    person = make_person(staff["caseworker"].agency, born=date(1975, 6, 1), name="钱参保")
    contribute(person, "2009-01", "2024-12")
    account = account_with(person, [("migrated_balance", "2025-01", "12000.00")])
    request = claim_for(
        person, staff["caseworker"], death_date=date(2025, 5, 10), today=date(2025, 6, 1)
    )
    assert request.payload["net_payable"] == "45731.00"
    approval_request_approve(actor=staff["reviewer"], request_id=request.pk)
    return account


def test_the_announced_rate_trues_up_every_account_that_left_in_the_year(
    staff, retired, settled, transferred, died
):
    retired_account = PensionAccount.objects.get(person=retired.person)
    settled, transferred, died = (
        PensionAccount.objects.get(pk=a.pk) for a in (settled, transferred, died)
    )
    assert {a.status for a in (settled, transferred, died)} == {AccountStatus.CLOSED}
    rate_2025("0.03")

    run = interest_2025(staff)

    assert run.status == "posted" and not run.rate_provisional
    # retired 2025-04, m = 4: 41 520 × 0.03 × 4 ÷ 12 = 415.20; 415.20 − 362.61 = 52.59;
    # closing 41 520 + 415.20 = 41 935.20 (the balance at retirement)
    assert line_of(run, retired_account) == (
        True, 4, D("0.00"), D("41520.00"), D("166080.00"), D("415.20"), D("362.61"),
        D("52.59"), D("41935.20"),
    )  # fmt: skip
    # settled 2025-06, m = 6: 10 000 × 0.03 × 6 ÷ 12 = 150.00; 150.00 − 131.00 = 19.00
    # (the settlement entry −10 131.00 is not a credit of the year)
    assert line_of(run, settled) == (
        True, 6, D("0.00"), D("10000.00"), D("60000.00"), D("150.00"), D("131.00"),
        D("19.00"), D("10150.00"),
    )  # fmt: skip
    # transferred 2025-03, m = 3: 30 000 × 0.03 × 3 ÷ 12 = 225.00; − 196.50 = 28.50
    assert line_of(run, transferred) == (
        True, 3, D("0.00"), D("30000.00"), D("90000.00"), D("225.00"), D("196.50"),
        D("28.50"), D("30225.00"),
    )  # fmt: skip
    # died 2025-05, m = 5: 12 000 × 0.03 × 5 ÷ 12 = 150.00; − 131.00 = 19.00
    assert line_of(run, died) == (
        True, 5, D("0.00"), D("12000.00"), D("60000.00"), D("150.00"), D("131.00"),
        D("19.00"), D("12150.00"),
    )  # fmt: skip

    # the difference is posted to each ledger, in the month of leaving
    for account, period, amount in (
        (retired_account, 202504, D("52.59")), (settled, 202506, D("19.00")),
        (transferred, 202503, D("28.50")), (died, 202505, D("19.00")),
    ):  # fmt: skip
        entry = AccountEntry.objects.get(account=account, run=run, kind=EntryKind.INTEREST)
        assert (entry.amount, entry.period.as_int, entry.interest_year) == (amount, period, 2025)
        assert "true-up to 2025" in entry.rule
    # the retiree's balance at retirement is 41 882.61 + 52.59 = 41 935.20
    assert account_balance(retired_account) == D("41935.20")

    # money already gone out: the difference follows it to the same payee, and the
    # closed accounts are back at zero
    expected = {
        settled.pk: ("account_settlement", "李出境", "中国银行", "6222000011119999", D("19.00")),
        transferred.pk: ("transfer_out", "河北省社会保险事业管理局", "中国工商银行",
                         "0402000000000005678", D("28.50")),
        died.pk: ("survivor_benefit", "张家属", "中国工商银行", "6222020200112233445",
                  D("19.00")),
    }  # fmt: skip
    for pk, (purpose, payee, bank, bank_account, amount) in expected.items():
        account = PensionAccount.objects.get(pk=pk)
        instruction = PaymentInstruction.objects.get(source=f"interest_true_up:{run.pk}:{pk}")
        assert (instruction.purpose, instruction.payee_name, instruction.bank_name,
                instruction.bank_account, instruction.amount, instruction.status,
                instruction.object_id) == (
            purpose, payee, bank, bank_account, amount, "open", account.person_id,
        )  # fmt: skip
        assert instruction.details["interest_difference"] == str(amount)
        assert account_balance(account) == D("0.00")
    assert run.parameters["true_up"] == {
        "instructions": 3, "instructed_amount": "66.50", "to_recover": 0,
        "to_recover_amount": "0", "held": 0, "held_amount": "0",
    }  # fmt: skip
    # the retiree has no instruction: the account pension is redetermined instead
    assert not PaymentInstruction.objects.filter(
        source=f"interest_true_up:{run.pk}:{retired_account.pk}"
    ).exists()

    # posting again (a redelivered task) writes nothing; a second run at the rate is refused
    entries, instructions = AccountEntry.objects.count(), PaymentInstruction.objects.count()
    assert runs.interest_run_post(run.pk).status == "posted"
    assert (AccountEntry.objects.count(), PaymentInstruction.objects.count()) == (
        entries,
        instructions,
    )
    with pytest.raises(Conflict) as twice:
        runs.interest_run_create(actor=staff["province_accountant"], region=PROVINCE, year=2025)
    assert twice.value.code == "live_run_exists"


def test_the_retirees_account_pension_is_redetermined_by_maker_checker(staff, retired):
    rate_2025("0.03")
    run = interest_2025(staff)

    [request] = trueup.account_true_up_requests(actor=staff["province_accountant"], run=run)
    # preparing again prepares nothing
    assert trueup.account_true_up_requests(actor=staff["province_accountant"], run=run) == []
    p = request.payload
    # 41 935.20 ÷ 138.4 = 303.00 (138.4 × 303 = 41 935.2); 303.00 − 302.62 = 0.38 a month;
    # paid 2025-05 … 2025-12 = 8 months: 0.38 × 8 = 3.04
    assert (p["old_balance"], p["interest_difference"], p["new_balance"], p["divisor"],
            p["old_account_pension"], p["new_account_pension"], p["old_total"],
            p["new_total"], p["monthly_difference"], p["months"], p["settlement"]) == (
        "41882.61", "52.59", "41935.20", "138.4", "302.62", "303.00", "3086.36", "3086.74",
        "0.38", 8, "3.04",
    )  # fmt: skip
    assert request.maker == staff["province_accountant"]
    assert request.status == ApprovalStatus.PENDING
    # nothing changes before a reviewer approves
    assert PensionDetermination.objects.filter(person=retired.person).count() == 1

    approval_request_approve(actor=staff["reviewer"], request_id=request.pk)

    retired.refresh_from_db()
    new = PensionDetermination.objects.get(person=retired.person, superseded_by__isnull=True)
    assert retired.status == DeterminationStatus.SUPERSEDED and retired.superseded_by == new
    assert (new.account_balance, new.account_pension, new.total, new.case_id) == (
        D("41935.20"), D("303.00"), D("3086.74"), request.pk,
    )  # fmt: skip
    # the other components are as they were
    assert (new.basic_pension, new.transitional_pension, new.paid_through) == (
        retired.basic_pension, retired.transitional_pension, Period(2025, 12),
    )  # fmt: skip
    assert new.inputs["account_true_up"]["interest_difference"] == "52.59"
    due = PayrollDue.objects.get(person=retired.person, source=f"account_true_up:{new.pk}")
    assert (due.item, due.amount, due.months, str(due.from_month), str(due.to_month)) == (
        PayrollItem.SETTLEMENT, D("3.04"), 8, "2025-05", "2025-12",
    )  # fmt: skip
    # a second request for the same run is not made after the decision either
    assert trueup.account_true_up_requests(actor=staff["province_accountant"], run=run) == []
    assert ApprovalRequest.objects.filter(operation=trueup.ACCOUNT_REDETERMINATION).count() == 1


def test_a_rate_below_the_provisional_one_leaves_an_amount_to_recover(staff, settled):
    rate_2025("0.02")
    run = interest_2025(staff)

    # 10 000 × 0.02 × 6 ÷ 12 = 100.00; 100.00 − 131.00 = −31.00 posted; the payee got
    # 31.00 too much: the closed account stands at −31.00, nothing is paid out
    assert line_of(run, settled)[5:8] == (D("100.00"), D("131.00"), D("-31.00"))
    assert account_balance(settled) == D("-31.00")
    assert not PaymentInstruction.objects.filter(source__startswith="interest_true_up:").exists()
    assert run.parameters["true_up"]["to_recover"] == 1
    assert run.parameters["true_up"]["to_recover_amount"] == "31.00"
