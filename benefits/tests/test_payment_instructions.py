"""Money that goes out is a payment instruction carried by the payroll (pension.payments,
benefits.payroll.runs, benefits.payroll.bank): a refund, settlement, transfer out or survivor
benefits goes in the run's bank file with the payroll's control totals, and the bank's
result marks it paid or failed. Figures by hand in the comments."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from benefits.choices import PaymentStatus
from benefits.models import PayrollDue, PayrollPayment, PayrollTotal
from benefits.payroll import bank
from benefits.payroll import runs as payroll
from benefits.tests import test_payroll as _payroll
from pension.errors import Conflict, InvalidInput
from pension.models import ChangeLogEntry, PaymentInstruction
from pension.payments import payment_instruction_create, payment_instruction_reissue

pytestmark = pytest.mark.django_db

# the payroll tests' fixtures and helpers: three retirees of the caseworker's county
county, english, world = _payroll.county, _payroll.english, _payroll.world
import_result, run_for = _payroll.import_result, _payroll.run_for


def _instruction(staff, person, county, amount="1234.56", account="6222000000000099"):
    return payment_instruction_create(
        actor=staff["reviewer"],
        purpose="refund",
        source="contributions.refund:test",
        region=county,
        target=person,
        payee_name="太原某公司",
        bank_name="中国工商银行",
        bank_account=account,
        amount=D(amount),
    )


def test_an_instruction_is_created_once_and_refused_without_an_account(staff, county, world):
    person = world["c"].person
    first = _instruction(staff, person, county)
    again = _instruction(staff, person, county, amount="9.99")
    assert again.pk == first.pk and again.amount == D("1234.56")
    assert ChangeLogEntry.objects.filter(object_type="pension.paymentinstruction").count() == 1
    with pytest.raises(InvalidInput) as refused:
        payment_instruction_create(
            actor=staff["reviewer"], purpose="refund", source="x:1", region=county,
            target=person, payee_name="某人", bank_name="中国工商银行", bank_account="",
            amount=D("1.00"),
        )  # fmt: skip
    assert refused.value.code == "payee_required"


def test_the_payroll_carries_an_instruction_to_the_bank_and_back(staff, county, world):
    person = world["c"].person  # suspended: paid nothing by the payroll itself
    instruction = _instruction(staff, person, county)
    run = run_for(staff, county, "2026-11")
    instruction.refresh_from_db()
    assert instruction.status == "issued"
    carried = PayrollPayment.objects.get(run=run, instruction=instruction)
    assert (carried.person_id, carried.payee_name, carried.bank_account, carried.amount,
            carried.status) == (
        person.pk, "太原某公司", "6222000000000099", D("1234.56"), PaymentStatus.PENDING,
    )  # fmt: skip
    # A 3 250.00 + B 8 746.20 + the refund 1 234.56 = 13 230.76 in three payments
    assert (run.payment_count, run.total_amount) == (3, D("13230.76"))
    # the totals by item add up to the payments: the refund is an item of its own
    county_totals = PayrollTotal.objects.filter(run=run, region_id=county)
    assert county_totals.get(item="refund").amount == D("1234.56")
    assert sum(t.amount for t in county_totals) == D("13230.76")

    payroll.payroll_run_approve(actor=staff["reviewer"], run=run)
    files = bank.payroll_run_export(actor=staff["caseworker"], run=run)
    csv_file = next(f for f in files if f.file_format == "csv")
    assert (csv_file.payment_count, csv_file.total_amount) == (3, D("13230.76"))

    a = PayrollPayment.objects.get(run=run, payee_name="甲")
    b = PayrollPayment.objects.get(run=run, payee_name="乙")
    batch = import_result(staff, run, [
        [str(a.pk), a.bank_account, "3250.00", "成功", ""],
        [str(b.pk), b.bank_account, "8746.20", "成功", ""],
        [str(carried.pk), carried.bank_account, "1234.56", "失败", "账号错误"],
    ])  # fmt: skip
    # paid 3 250.00 + 8 746.20 = 11 996.20; failed 1 234.56; together the file's total
    assert (batch.paid_amount, batch.failed_amount) == (D("11996.20"), D("1234.56"))
    instruction.refresh_from_db()
    assert (instruction.status, instruction.failure_reason) == ("failed", "账号错误")
    assert instruction.result_at is not None
    # not re-issued to the same wrong account: no payroll due for it
    assert not PayrollDue.objects.filter(source=f"payment:{carried.pk}").exists()

    with pytest.raises(Conflict):
        payment_instruction_reissue(
            actor=staff["caseworker"], instruction=PaymentInstruction.objects.create(
                purpose="refund", source="x:2", region_id=county,
                content_type=instruction.content_type, object_id=person.pk, payee_name="某",
                bank_name="中国工商银行", bank_account="6222000000000001", amount=D("1.00"),
            ), bank_name="中国工商银行", bank_account="6222000000000002", reason="更正",
        )  # fmt: skip
    PaymentInstruction.objects.filter(source="x:2").delete()
    payment_instruction_reissue(
        actor=staff["caseworker"], instruction=instruction, bank_name="中国建设银行",
        bank_account="6217000000000777", reason="单位提供正确账号",
    )  # fmt: skip
    december = run_for(staff, county, "2026-12")
    again = PayrollPayment.objects.get(run=december, instruction=instruction)
    assert (again.bank_name, again.bank_account, again.amount) == (
        "中国建设银行", "6217000000000777", D("1234.56"),
    )  # fmt: skip


def test_a_recalculated_run_releases_its_instructions(staff, county, world):
    instruction = _instruction(staff, world["c"].person, county)
    run = run_for(staff, county, "2026-11")
    payroll.payroll_run_recalculate(actor=staff["caseworker"], run=run)
    instruction.refresh_from_db()
    # released with the run's deleted payments: open again, carried by no payment
    assert instruction.status == "open"
    assert not PayrollPayment.objects.filter(instruction=instruction).exists()
    # the run calculated again carries it once
    payroll.payroll_run_execute(run.pk)
    instruction.refresh_from_db()
    assert instruction.status == "issued"
    assert PayrollPayment.objects.filter(instruction=instruction).count() == 1


def test_a_dry_run_shows_an_instruction_without_taking_it(staff, county, world):
    instruction = _instruction(staff, world["c"].person, county)
    dry = run_for(staff, county, "2026-11", dry_run=True)
    assert PayrollPayment.objects.get(run=dry, instruction=instruction).posted is False
    instruction.refresh_from_db()
    assert instruction.status == "open"
