"""Transfers, settlement and reversal through maker-checker (DESIGN §5.3, §8.3, §8.4),
with figures worked by hand. Rates: the latest announced is 2024's 2.62 %, so 2026
is credited provisionally at it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts import cases
from accounts.choices import AccountStatus, EntryKind, SettlementReason
from accounts.models import AccountEntry, AccountTransfer, PensionAccount
from accounts.services import account_balance, pension_account_start_drawing
from accounts.tests.factories import account_with, make_person
from contributions.models import Bill
from contributions.tests.factories import assessed_months, pay_bill
from enrollment.choices import PersonStatus
from pension.approvals import approval_request_approve
from pension.errors import Conflict, InvalidInput, NotPermitted
from pension.models import ApprovalStatus, PaymentInstruction
from pension.periods import Period

pytestmark = pytest.mark.django_db


def _document():
    return SimpleUploadedFile("certificate.pdf", b"%PDF-1.4 test", content_type="application/pdf")


def _history_1996_to_2010(person) -> None:
    """Monthly lines 1996-07 … 2010-06: base 600 to 1997, 1 000 for 1998 … 2004,
    2 000 for 2005 … 2009, 2 500 in 2010 (the system's history of the person), every
    bill paid."""

    assessed_months(person, "1996-07", "1997-12", "600.00")
    assessed_months(person, "1998-01", "2004-12", "1000.00")
    assessed_months(person, "2005-01", "2009-12", "2000.00")
    assessed_months(person, "2010-01", "2010-06", "2500.00")


@pytest.fixture
def mover(staff):
    person = make_person(staff["caseworker"].agency)
    _history_1996_to_2010(person)
    return account_with(person, [("migrated_balance", "2026-01", "30000.00")])


def test_transfer_out_figures_line_by_line(mover):
    figures = cases.transfer_out_figures(mover, on=date(2026, 3, 10))

    # interest 2026 to March: the 30 000 earns from January, 3 months:
    # 30 000 × 0.0262 × 3 ÷ 12 = 2 358 ÷ 12 = 196.50 (provisional: 2026 has no rate)
    assert figures["interest_lines"] == [
        {
            "year": 2026, "months": 3, "opening": "0.00", "entries": "30000.00",
            "weighted": "90000.00", "rate": "0.0262", "provisional": True,
            "method": "monthly_product", "interest": "196.50", "already": "0.00",
            "to_post": "196.50", "reference": figures["interest_lines"][0]["reference"],
        }
    ]  # fmt: skip
    assert figures["account_amount"] == "30196.50"
    # 12 % of each year's bases from 1998: 7 × 1 440 + 5 × 2 880 + 1 800 = 26 280.00
    assert [x["year"] for x in figures["pooled_lines"]] == list(range(1998, 2011))
    assert figures["pooled_lines"][-1] == {
        "year": 2010, "months": 6, "bases": "15000.00", "amount": "1800.00"
    }  # fmt: skip
    assert figures["pooled_amount"] == "26280.00"
    assert figures["total"] == "56476.50"


def test_unpaid_months_add_nothing_to_the_pooled_transfer(mover):
    person = mover.person
    # 2025: 12 months assessed at the floor 4198.00, none paid
    assessed_months(person, "2025-01", "2025-12", "4198.00", paid=False)
    figures = cases.transfer_out_figures(mover, on=date(2026, 3, 10))
    # unchanged: 26 280.00, the last year counted is still 2010
    assert figures["pooled_amount"] == "26280.00"
    assert figures["pooled_lines"][-1]["year"] == 2010
    # one bill paid in part (400 of 839.60) still adds nothing
    bills = list(Bill.objects.filter(person=person, period__gte=202501).order_by("period"))
    pay_bill(bills[0], paid_on=date(2026, 2, 1), amount=D("400.00"))
    assert cases.transfer_out_figures(mover, on=date(2026, 3, 10))["pooled_amount"] == "26280.00"
    # all twelve paid: 12 × 4198 = 50 376.00 × 12 % = 6 045.12; 26 280.00 + 6 045.12
    for bill in Bill.objects.filter(person=person, period__gte=202501).order_by("period"):
        pay_bill(bill, paid_on=date(2026, 2, 1))
    figures = cases.transfer_out_figures(mover, on=date(2026, 3, 10))
    assert figures["pooled_lines"][-1] == {
        "year": 2025, "months": 12, "bases": "50376.00", "amount": "6045.12"
    }  # fmt: skip
    assert figures["pooled_amount"] == "32325.12"


def test_transfer_out_through_approval_moves_the_balance_and_closes_the_account(staff, mover):
    request = cases.transfer_out_request(
        actor=staff["caseworker"], account=mover, other_province="河北省",
        certificate_number="ZY-2026-0001", reason="新单位在河北", attachments=[_document()],
        payee_name="河北省社会保险事业管理局", payee_bank="中国工商银行",
        payee_account="0402000000000001234",
        today=date(2026, 3, 10),
    )  # fmt: skip
    assert request.amount == D("56476.50")
    assert not AccountEntry.objects.filter(account=mover, kind=EntryKind.INTEREST).exists()
    # 56 476.50 is above the city threshold (50 000): a county reviewer may not decide it
    with pytest.raises(NotPermitted) as low:
        approval_request_approve(actor=staff["reviewer"], request_id=request.pk)
    assert low.value.code == "level_too_low"

    approval_request_approve(actor=staff["city_reviewer"], request_id=request.pk)

    mover.refresh_from_db()
    assert mover.status == AccountStatus.CLOSED
    assert account_balance(mover) == D("0.00")
    moved = AccountEntry.objects.filter(account=mover).exclude(kind=EntryKind.MIGRATED_BALANCE)
    assert sorted((e.kind, e.amount) for e in moved) == [
        (EntryKind.INTEREST, D("196.50")),
        (EntryKind.TRANSFER_OUT, D("-30196.50")),
    ]
    transfer = AccountTransfer.objects.get(case=request)
    assert (transfer.account_amount, transfer.pooled_amount, transfer.total) == (
        D("30196.50"),
        D("26280.00"),
        D("56476.50"),
    )
    assert len(transfer.lines["pooled"]) == 13
    # the money leaves by a payment instruction to the receiving agency: the account's
    # 30 196.50 + the pooled 26 280.00 = 56 476.50, waiting for the next payroll
    instruction = PaymentInstruction.objects.get(source=f"accounts.transfer_out:{request.pk}")
    assert (instruction.purpose, instruction.amount, instruction.payee_name,
            instruction.bank_account, instruction.status, instruction.object_id) == (
        "transfer_out", D("56476.50"), "河北省社会保险事业管理局", "0402000000000001234",
        "open", mover.person_id,
    )  # fmt: skip
    mover.person.refresh_from_db()
    assert mover.person.status == PersonStatus.TRANSFERRED_OUT
    # the same certificate again is refused
    with pytest.raises(Conflict) as again:
        cases.transfer_out_request(
            actor=staff["caseworker"], account=mover, other_province="河北省",
            certificate_number="ZY-2026-0001", reason="again", today=date(2026, 3, 10),
            payee_name="河北省社会保险事业管理局", payee_bank="中国工商银行",
            payee_account="0402000000000001234",
        )  # fmt: skip
    assert again.value.code == "account_closed"


def test_a_transfer_prepared_before_a_new_entry_is_refused_at_approval(staff, mover):
    request = cases.transfer_out_request(
        actor=staff["caseworker"], account=mover, other_province="河北省",
        certificate_number="ZY-2026-0002", reason="r", today=date(2026, 3, 10),
        payee_name="河北省社会保险事业管理局", payee_bank="中国工商银行",
        payee_account="0402000000000001234",
    )  # fmt: skip
    AccountEntry.objects.create(
        account=mover, kind=EntryKind.MIGRATED_BALANCE, period=Period(2026, 2),
        value_period=Period(2026, 2), amount=D("1.00"),
    )  # fmt: skip
    with pytest.raises(Conflict) as changed:
        approval_request_approve(actor=staff["city_reviewer"], request_id=request.pk)
    assert changed.value.code == "figures_changed"
    request.refresh_from_db()
    assert request.status == ApprovalStatus.PENDING
    mover.refresh_from_db()
    assert mover.status == AccountStatus.OPEN


def test_transfer_in_opens_the_account_with_what_the_certificate_brings(staff):
    person = make_person(staff["caseworker"].agency)
    request = cases.transfer_in_request(
        actor=staff["caseworker"], person=person, other_province="河南省",
        certificate_number="HN-88", account_amount="12345.67", pooled_amount="8000.00",
        reason="转入", today=date(2026, 11, 20),
    )  # fmt: skip
    with pytest.raises(Conflict) as twice:
        cases.transfer_in_request(
            actor=staff["caseworker"], person=person, other_province="河南省",
            certificate_number="HN-88", account_amount="1", pooled_amount="0", reason="x",
        )  # fmt: skip
    assert twice.value.code == "certificate_taken"

    approval_request_approve(actor=staff["reviewer"], request_id=request.pk)

    account = PensionAccount.objects.get(person=person)
    entry = AccountEntry.objects.get(account=account)
    assert (entry.kind, entry.amount, str(entry.value_period)) == (
        EntryKind.TRANSFER_IN,
        D("12345.67"),
        "2026-11",
    )
    assert AccountTransfer.objects.get(case=request).pooled_amount == D("8000.00")


def test_transfer_in_refuses_an_amount_in_tenths_of_a_fen(staff):
    person = make_person(staff["caseworker"].agency)
    with pytest.raises(InvalidInput) as bad:
        cases.transfer_in_request(
            actor=staff["caseworker"], person=person, other_province="河南省",
            certificate_number="HN-89", account_amount="10.005", pooled_amount="0", reason="x",
        )  # fmt: skip
    assert str(bad.value) == "个人账户转移额须为不小于0、最多两位小数的金额（元）。"
    assert not PensionAccount.objects.filter(person=person).exists()


def test_settlement_on_death_pays_balance_and_interest_to_the_heirs(staff):
    account = account_with(
        make_person(staff["caseworker"].agency), [("migrated_balance", "2026-01", "10000.00")]
    )
    request = cases.settlement_request(
        actor=staff["caseworker"], account=account, reason_kind=SettlementReason.DEATH,
        payee_name="李继承", payee_account="6222000011112222", reason="死亡",
        payee_bank="中国农业银行", attachments=[_document()], today=date(2026, 6, 20),
    )  # fmt: skip
    # 10 000 from January to June, 6 months: 10 000 × 0.0262 × 6 ÷ 12 = 131.00
    assert request.payload["interest"] == "131.00"
    assert request.amount == D("10131.00")

    approval_request_approve(actor=staff["reviewer"], request_id=request.pk)

    account.refresh_from_db()
    assert account.status == AccountStatus.CLOSED
    assert AccountEntry.objects.get(account=account, kind=EntryKind.SETTLEMENT).amount == D(
        "-10131.00"
    )
    assert account_balance(account) == D("0.00")
    # 10 131.00 to the heir's account by a payment instruction, not only booked
    instruction = PaymentInstruction.objects.get(source=f"accounts.settlement:{request.pk}")
    assert (instruction.purpose, instruction.amount, instruction.payee_name,
            instruction.bank_name, instruction.bank_account) == (
        "account_settlement", D("10131.00"), "李继承", "中国农业银行", "6222000011112222",
    )  # fmt: skip


def test_a_transfer_out_without_the_receiving_account_is_refused(staff, mover):
    with pytest.raises(InvalidInput) as missing:
        cases.transfer_out_request(
            actor=staff["caseworker"], account=mover, other_province="河北省",
            certificate_number="ZY-2026-0003", reason="r", today=date(2026, 3, 10),
        )  # fmt: skip
    assert missing.value.code == "payee_required"


def test_settlement_at_retirement_age_is_refused_before_the_age(staff):
    account = account_with(
        make_person(staff["caseworker"].agency, born=date(1980, 3, 14)),
        [("migrated_balance", "2026-01", "500.00")],
    )
    with pytest.raises(Conflict) as early:
        cases.settlement_request(
            actor=staff["caseworker"], account=account,
            reason_kind=SettlementReason.RETIREMENT_SHORTFALL, payee_name="本人",
            payee_account="6222", reason="选择终止", today=date(2026, 6, 20),
        )  # fmt: skip
    assert early.value.code == "retirement_age_not_reached"
    assert account.person.name in str(early.value)


def test_a_wrong_entry_is_reversed_once(staff):
    account = account_with(
        make_person(staff["caseworker"].agency), [("migrated_balance", "2024-05", "88.80")]
    )
    wrong = AccountEntry.objects.get(account=account)
    request = cases.entry_reversal_request(
        actor=staff["caseworker"], entry=wrong, reason="重复迁移"
    )
    approval_request_approve(actor=staff["reviewer"], request_id=request.pk)

    reversal = AccountEntry.objects.get(account=account, kind=EntryKind.REVERSAL)
    assert (reversal.amount, reversal.reverses_id) == (D("-88.80"), wrong.pk)
    assert account_balance(account) == D("0.00")
    with pytest.raises(Conflict) as twice:
        cases.entry_reversal_request(actor=staff["caseworker"], entry=wrong, reason="again")
    assert twice.value.code == "already_reversed"
    with pytest.raises(Conflict):
        cases.entry_reversal_request(actor=staff["caseworker"], entry=reversal, reason="x")


def test_retirement_posts_interest_to_the_month_and_fixes_the_balance(staff):
    # opening 10 000 at the end of 2023, 400 a month January … June 2024, retired 2024-06:
    # Σ 400 × (6 − n + 1) = 8 400; (10 000 × 0.0262 × 6 + 0.0262 × 8 400) ÷ 12 = 149.34
    # the 2023 interest is due first: 10 000 carried in from 2023-12 earns 1 month of
    # 2023 at 3.97 %: 10 000 × 0.0397 × 1 ÷ 12 = 33.0833… → 33.08; then 2024 opens at
    # 10 033.08: (10 033.08 × 0.0262 × 6 + 0.0262 × 8 400) ÷ 12
    # = (1 577.200176 + 220.08) ÷ 12 = 1 797.280176 ÷ 12 = 149.773348 → 149.77
    entries = [("migrated_balance", "2023-12", "10000.00")] + [
        ("migrated_balance", f"2024-{m:02d}", "400.00") for m in range(1, 7)
    ]
    account = account_with(make_person(staff["caseworker"].agency), entries)

    balance = pension_account_start_drawing(
        actor=staff["reviewer"], account=account, period=Period(2024, 6)
    )

    interest = dict(
        AccountEntry.objects.filter(account=account, kind=EntryKind.INTEREST).values_list(
            "interest_year", "amount"
        )
    )
    assert interest == {2023: D("33.08"), 2024: D("149.77")}
    assert balance == D("12582.85")  # 10 000 + 2 400 + 33.08 + 149.77
    account.refresh_from_db()
    assert account.status == AccountStatus.DRAWING
    with pytest.raises(Conflict):
        pension_account_start_drawing(
            actor=staff["reviewer"], account=account, period=Period(2024, 7)
        )


def test_transfer_in_records_the_months_contributed_in_the_other_province(staff):
    from django.utils import translation

    from contributions.cases import contributed_months
    from contributions.models import TransferredMonth

    person = make_person(staff["caseworker"].agency)
    # one month here already, 2016-03, paid
    assessed_months(person, "2016-03", "2016-03", "5000.00")
    caseworker = staff["caseworker"]

    def refused(history, code, message):
        before = (TransferredMonth.objects.count(), AccountTransfer.objects.count())
        with translation.override("zh-hans"), pytest.raises((InvalidInput, Conflict)) as error:
            cases.transfer_in_request(
                actor=caseworker, person=person, other_province="河南省",
                certificate_number="HN-H-1", account_amount="0", pooled_amount="0",
                reason="转入", history=history,
            )  # fmt: skip
        assert (error.value.code, str(error.value)) == (code, message)
        assert (TransferredMonth.objects.count(), AccountTransfer.objects.count()) == before

    refused(
        "2015-01 2016-03 4000.00 0.9",
        "history_taken",
        "2016-03已在本省缴费或已转入，不能再次转入。",
    )
    refused(
        "2015-01 2015-06 4000.00 0.9\n2015-06 2015-08 4000.00 0.9",
        "history_twice",
        "转入缴费记录：2015-06重复填写。",
    )
    refused(
        "2015-01 2015-06 4000.001 0.9",
        "history_base",
        "转入缴费记录第1行：缴费基数须为大于0、最多两位小数的金额（元）。",
    )
    refused(
        "2015-01 2015-06 4000.00 -1",
        "history_index",
        "转入缴费记录第1行：缴费指数须为大于0、最多8位小数的数。",
    )
    refused(
        "2015-06 2015-01 4000.00 0.9",
        "history_months",
        "转入缴费记录第1行：2015-06至2015-01不是本月以前的有效月份区间。",
    )
    refused(
        "2015-01 4000.00 0.9",
        "history_line",
        "转入缴费记录第1行：请依次填写起始月份、截止月份、月缴费基数和缴费指数，"
        "如 2015-01 2016-06 5000.00 0.9321。",
    )
    request = cases.transfer_in_request(
        actor=caseworker, person=person, other_province="河南省",
        certificate_number="HN-H-1", account_amount="100.00", pooled_amount="0",
        reason="转入", history="2015-01 2015-06 4000.00 0.9\n2015-07, 2016-02, 4500.00, 1.0125",
    )  # fmt: skip
    # 6 + 8 = 14 months; nothing written before the approval
    assert request.payload["history_months"] == 14
    assert not TransferredMonth.objects.filter(person=person).exists()
    assert contributed_months(person) == 1
    approval_request_approve(actor=staff["reviewer"], request_id=request.pk)
    rows = list(
        TransferredMonth.objects.filter(person=person).values_list(
            "period", "base", "contribution_index", "from_province"
        )
    )
    assert len(rows) == 14
    assert rows[0] == (Period(2015, 1), D("4000.00"), D("0.9"), "河南省")
    assert rows[-1] == (Period(2016, 2), D("4500.00"), D("1.0125"), "河南省")
    # 1 month here + 14 transferred = 15
    assert contributed_months(person) == 15
    # the pooled share of a later transfer out counts this province's months only:
    # 12 % × 5000.00 = 600.00 for 2016
    account = PensionAccount.objects.get(person=person)
    figures = cases.transfer_out_figures(account, on=date(2026, 3, 10))
    assert figures["pooled_lines"] == [
        {"year": 2016, "months": 1, "bases": "5000.00", "amount": "600.00"}
    ]
