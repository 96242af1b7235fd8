"""The monthly payroll (§9.3.1): what a run pays, worked out by hand in the comments;
dues paid once; approval (maker-checker) moving ``paid_through``; the variance report;
no export before approval and no recalculation after it; the bank file with its control
totals and checksum; bank results, their replay and the re-issue of failed payments.
"""

from __future__ import annotations

import csv
import hashlib
import io
from decimal import Decimal as D

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Sum
from django.utils import translation
from openpyxl import load_workbook

from benefits.choices import (
    DeterminationStatus,
    PaymentStatus,
    PayrollItem,
    PayrollRunStatus,
)
from benefits.models import (
    BankResultBatch,
    PayrollDue,
    PayrollLine,
    PayrollPayment,
    PayrollTotal,
    PensionAdjustment,
)
from benefits.payroll import bank
from benefits.payroll import runs as payroll
from benefits.tests.factories import retiree
from pension.errors import Conflict, InvalidInput, NotPermitted
from pension.models import ChangeLogEntry
from pension.periods import Period

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def county(staff) -> str:
    return staff["caseworker"].agency.region_id


@pytest.fixture
def world(staff):
    """Three retirees of the caseworker's county:

    - A: 1500 + 800 + 900 = 3200.00 a month, retired 2026-05, paid through 2026-10, an
      in-force adjustment of 50.00 from 2026-01;
    - B: 1200.40 + 775.00 + 900.00 = 2875.40, retired 2026-08, so payable from 2026-09,
      never paid yet; a settlement due of 120.00;
    - C: suspended (not paid).
    """
    agency = staff["caseworker"].agency
    a = retiree(agency, paid_through="2026-10", name="甲")
    b = retiree(
        agency, basic="1200.40", account="775.00", transitional="900.00", retired="2026-08",
        name="乙",
    )  # fmt: skip
    c = retiree(agency, paid_through="2026-10", status=DeterminationStatus.SUSPENDED, name="丙")
    PensionAdjustment.objects.create(
        person=a.person, determination=a, flat_amount=D("50.00"), monthly_amount=D("50.00"),
        effective_from=Period.parse("2026-01"), in_force=True,
    )  # fmt: skip
    PayrollDue.objects.create(
        person=b.person, determination=b, item=PayrollItem.SETTLEMENT, amount=D("120.00"),
        months=3, source="test:settlement-b", reason="recalculated",
    )  # fmt: skip
    return {"a": a, "b": b, "c": c}


def run_for(staff, county, period, *, dry_run=False):
    run = payroll.payroll_run_create(
        actor=staff["caseworker"], period=period, region=county, dry_run=dry_run
    )
    return payroll.payroll_run_execute(run.pk)


def lines_of(run) -> dict:
    return {
        (line.person.name, line.item): (line.months, line.amount)
        for line in PayrollLine.objects.filter(run=run).select_related("person")
    }


def test_a_run_pays_pension_arrears_adjustments_and_dues(staff, county, world):
    run = run_for(staff, county, "2026-11")

    assert run.status == PayrollRunStatus.CALCULATED, run.error
    assert lines_of(run) == {
        ("甲", PayrollItem.PENSION): (1, D("3200.00")),
        ("甲", PayrollItem.ADJUSTMENT): (1, D("50.00")),
        # B: 2026-09, 2026-10, 2026-11 owed: 3 × 2875.40 = 8626.20
        ("乙", PayrollItem.PENSION): (3, D("8626.20")),
        ("乙", PayrollItem.SETTLEMENT): (3, D("120.00")),
    }
    payments = {p.payee_name: p for p in PayrollPayment.objects.filter(run=run)}
    assert set(payments) == {"甲", "乙"}  # C is suspended
    assert payments["甲"].amount == D("3250.00")  # 3200 + 50
    assert payments["乙"].amount == D("8746.20")  # 8626.20 + 120
    assert payments["甲"].bank_account == world["a"].person.bank_account
    assert payments["甲"].status == PaymentStatus.PENDING
    # 3250.00 + 8746.20 = 11996.20
    assert (run.payment_count, run.line_count, run.total_amount) == (2, 4, D("11996.20"))
    # the live run claimed the due
    assert PayrollDue.objects.get(source="test:settlement-b").run_id == run.pk
    # totals by county and by city, per item
    county_total = PayrollTotal.objects.filter(run=run, region_id=county)
    city_total = PayrollTotal.objects.filter(run=run, region_id=county[:4] + "00")
    for totals in (county_total, city_total):
        assert totals.aggregate(s=Sum("amount"))["s"] == D("11996.20")
        assert totals.get(item=PayrollItem.PENSION).amount == D("11826.20")  # 3200 + 8626.20
        assert totals.get(item=PayrollItem.PENSION).line_count == 2
    assert run.processed_count == run.total_count == 2


def test_approval_is_by_a_second_person_and_moves_paid_through(staff, county, world):
    run = run_for(staff, county, "2026-11")
    with pytest.raises(NotPermitted) as refused:
        payroll.payroll_run_approve(actor=staff["caseworker"], run=run)
    assert refused.value.code == "self_approval"
    with pytest.raises(NotPermitted) as refused:
        payroll.payroll_run_approve(actor=staff["other_reviewer"], run=run)
    assert refused.value.code == "outside_region"

    payroll.payroll_run_approve(actor=staff["reviewer"], run=run)

    for key in ("a", "b"):
        world[key].refresh_from_db()
        assert world[key].paid_through == Period.parse("2026-11")
    world["c"].refresh_from_db()
    assert world["c"].paid_through == Period.parse("2026-10")  # suspended: not paid
    assert ChangeLogEntry.objects.filter(object_id=str(run.pk), action="approve").exists()

    # the next month: one month each, the settlement is not paid again
    december = run_for(staff, county, "2026-12")
    assert lines_of(december) == {
        ("甲", PayrollItem.PENSION): (1, D("3200.00")),
        ("甲", PayrollItem.ADJUSTMENT): (1, D("50.00")),
        ("乙", PayrollItem.PENSION): (1, D("2875.40")),
    }


def test_a_later_month_waits_for_the_earlier_approval(staff, county, world):
    run_for(staff, county, "2026-11")
    with pytest.raises(Conflict) as refused:
        payroll.payroll_run_create(actor=staff["caseworker"], period="2026-12", region=county)
    assert refused.value.code == "earlier_not_approved"
    with pytest.raises(Conflict) as refused:
        payroll.payroll_run_create(actor=staff["caseworker"], period="2026-11", region=county)
    assert refused.value.code == "live_run_exists"


def test_a_dry_run_claims_nothing_and_is_discarded(staff, county, world):
    run = run_for(staff, county, "2026-11", dry_run=True)
    assert lines_of(run)[("乙", PayrollItem.SETTLEMENT)] == (3, D("120.00"))
    assert PayrollDue.objects.get(source="test:settlement-b").run_id is None
    with pytest.raises(Conflict) as refused:
        payroll.payroll_run_approve(actor=staff["reviewer"], run=run)
    assert refused.value.code == "dry_run"

    payroll.payroll_run_discard(actor=staff["caseworker"], run=run)

    run.refresh_from_db()
    assert run.status == PayrollRunStatus.CLOSED
    assert not PayrollLine.objects.filter(run=run).exists()
    assert not PayrollPayment.objects.filter(run=run).exists()
    # the live run of the month may follow and pays the due
    live = run_for(staff, county, "2026-11")
    assert lines_of(live)[("乙", PayrollItem.SETTLEMENT)] == (3, D("120.00"))


def test_the_variance_report_says_who_changed_and_why(staff, county, world):
    november = run_for(staff, county, "2026-11")
    payroll.payroll_run_approve(actor=staff["reviewer"], run=november)
    # D: a new retiree of 2026-11, first paid in December: 1000 + 500 + 0 = 1500.00
    retiree(staff["caseworker"].agency, basic="1000.00", account="500.00",
            transitional="0.00", retired="2026-11", name="丁")  # fmt: skip

    december = run_for(staff, county, "2026-12", dry_run=True)
    variance = payroll.run_variance(december)

    # A unchanged (3250.00 both months): not listed
    assert (variance.changed, variance.new, variance.gone) == (2, 1, 0)
    rows = {row.name: row for row in variance.rows}
    assert set(rows) == {"乙", "丁"}
    b = rows["乙"]  # 8746.20 → 2875.40: three months and the settlement last time
    assert (b.change, b.previous, b.current) == ("changed", D("8746.20"), D("2875.40"))
    assert b.difference == D("-5870.80")
    assert b.items == [
        (PayrollItem.PENSION, D("8626.20"), D("2875.40")),
        (PayrollItem.SETTLEMENT, D("120.00"), D("0")),
    ]
    d = rows["丁"]
    assert (d.change, d.previous, d.current) == ("new", D("0"), D("1500.00"))
    assert variance.rows[0].name == "乙"  # the largest difference first


def test_no_export_before_approval_and_no_recalculation_after(staff, county, world):
    run = run_for(staff, county, "2026-11")
    with pytest.raises(Conflict) as refused:
        bank.payroll_run_export(actor=staff["caseworker"], run=run)
    assert refused.value.code == "not_approved"

    # before approval a live run may be recalculated: the due is released and paid again
    payroll.payroll_run_recalculate(actor=staff["caseworker"], run=run)
    assert PayrollDue.objects.get(source="test:settlement-b").run_id is None
    run = payroll.payroll_run_execute(run.pk)
    assert run.total_amount == D("11996.20")
    assert PayrollDue.objects.get(source="test:settlement-b").run_id == run.pk

    payroll.payroll_run_approve(actor=staff["reviewer"], run=run)
    with pytest.raises(Conflict) as refused:
        payroll.payroll_run_recalculate(actor=staff["caseworker"], run=run)
    assert refused.value.code == "approved"
    assert PayrollLine.objects.filter(run=run).count() == 4


@pytest.fixture
def exported(staff, county, world):
    run = run_for(staff, county, "2026-11")
    payroll.payroll_run_approve(actor=staff["reviewer"], run=run)
    files = bank.payroll_run_export(actor=staff["caseworker"], run=run)
    run.refresh_from_db()
    return run, files


def test_the_bank_file_has_control_totals_and_a_checksum(exported, world):
    run, files = exported
    assert run.status == PayrollRunStatus.EXPORTED
    assert sorted(f.file_format for f in files) == ["csv", "xlsx"]  # one bank
    csv_file = next(f for f in files if f.file_format == "csv")
    content = csv_file.file.read()
    assert hashlib.sha256(content).hexdigest() == csv_file.sha256
    rows = list(csv.reader(io.StringIO(content.decode())))
    payments = list(PayrollPayment.objects.filter(run=run).order_by("pk"))
    assert rows[0] == ["序号", "流水号", "姓名", "账号", "金额"]
    assert rows[1:-1] == [
        [str(i), str(p.pk), p.payee_name, p.bank_account, str(p.amount)]
        for i, p in enumerate(payments, start=1)
    ]
    body = content[: content.rindex(b"\n", 0, len(content) - 1) + 1]
    assert rows[-1] == ["合计", "2", "11996.20", hashlib.sha256(body).hexdigest()]
    assert (csv_file.payment_count, csv_file.total_amount) == (2, D("11996.20"))
    assert {p.status for p in payments} == {PaymentStatus.PENDING}
    sheet = load_workbook(next(f for f in files if f.file_format == "xlsx").file).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[-1][:3] == ("合计", 2, 11996.2)
    assert values[-1][3] == rows[-1][3]  # the same checksum of the same rows


def result_file(rows) -> SimpleUploadedFile:
    text = "流水号,账号,金额,结果,失败原因\r\n" + "".join(
        ",".join(r) + "\r\n" for r in rows
    )  # CRLF: as Excel saves CSV
    return SimpleUploadedFile("result.csv", text.encode())


def import_result(staff, run, rows, batch="BANK-2026-11-001"):
    parsed = bank.read_result_file(result_file(rows))
    assert not parsed.errors
    return bank.bank_results_import(
        actor=staff["caseworker"], run=run, bank_name="中国工商银行", bank_batch_id=batch,
        rows=parsed.rows, sha256=parsed.sha256,
    )  # fmt: skip


def test_bank_results_mark_payments_and_failed_ones_are_reissued(staff, county, exported, world):
    run, _files = exported
    a = PayrollPayment.objects.get(run=run, payee_name="甲")
    b = PayrollPayment.objects.get(run=run, payee_name="乙")
    rows = [
        [str(a.pk), a.bank_account, "3250.00", "成功", ""],
        [str(b.pk), b.bank_account, "8746.20", "失败", "账户已销户"],
    ]
    batch = import_result(staff, run, rows)

    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.status, b.status) == (PaymentStatus.PAID, PaymentStatus.FAILED)
    assert b.failure_reason == "账户已销户"
    assert (batch.paid_count, batch.paid_amount) == (1, D("3250.00"))
    assert (batch.failed_count, batch.failed_amount) == (1, D("8746.20"))
    logged = ChangeLogEntry.objects.get(object_type="benefits.bankresultbatch")
    assert (logged.actor_id, logged.after["paid"], logged.after["failed"]) == (
        staff["caseworker"].pk,
        1,
        1,
    )
    due = PayrollDue.objects.get(source=f"payment:{b.pk}")
    assert (due.item, due.amount, due.run_id) == (PayrollItem.REISSUE, D("8746.20"), None)
    run.refresh_from_db()
    assert run.status == PayrollRunStatus.CLOSED  # every result is in

    # a replay of the batch changes nothing and answers the first result
    replay = import_result(staff, run, rows)
    assert replay.pk == batch.pk and replay.replayed
    assert PayrollDue.objects.filter(item=PayrollItem.REISSUE).count() == 1
    assert BankResultBatch.objects.count() == 1

    # the next month re-issues the failed payment beside B's pension (new account)
    person = b.person
    person.bank_account = "6228480000000000001"
    person.save(update_fields=["bank_account"])
    december = run_for(staff, county, "2026-12")
    assert lines_of(december)[("乙", PayrollItem.REISSUE)] == (0, D("8746.20"))
    payment = PayrollPayment.objects.get(run=december, person=person)
    assert payment.amount == D("11621.60")  # 2875.40 + 8746.20
    assert payment.bank_account == "6228480000000000001"


def test_a_wrong_result_row_imports_nothing(staff, exported):
    run, _files = exported
    a = PayrollPayment.objects.get(run=run, payee_name="甲")
    b = PayrollPayment.objects.get(run=run, payee_name="乙")
    parsed = bank.read_result_file(
        result_file(
            [
                [str(a.pk), a.bank_account, "3250.00", "成功", ""],
                [str(b.pk), b.bank_account, "8746.00", "失败", ""],  # amount, no reason
                ["999999", "1", "1.00", "成功", ""],
            ]
        )
    )
    with pytest.raises(InvalidInput) as refused:
        bank.bank_results_import(
            actor=staff["caseworker"], run=run, bank_name="中国工商银行",
            bank_batch_id="B-1", rows=parsed.rows,
        )  # fmt: skip
    errors = refused.value.details["rows"]
    assert [(e["row"], e["column"]) for e in errors] == [
        (3, "金额"),
        (3, "失败原因"),
        (4, "流水号"),
        (4, "账号"),  # "1": not 6 to 32 digits
    ]
    assert "8746.20" in errors[0]["message"]
    assert not BankResultBatch.objects.exists()
    assert set(PayrollPayment.objects.filter(run=run).values_list("status", flat=True)) == {
        PaymentStatus.PENDING
    }


def test_a_result_file_with_wrong_headers_is_reported(staff):
    parsed = bank.read_result_file(SimpleUploadedFile("r.csv", "编号,金额\r\n1,2\r\n".encode()))
    assert parsed.rows == []
    assert parsed.errors[0].row == 1
    assert "流水号 | 账号 | 金额 | 结果 | 失败原因" in parsed.errors[0].message


def test_a_retiree_without_an_account_is_held(staff, county, world):
    world["a"].person.bank_account = ""
    world["a"].person.save(update_fields=["bank_account"])
    run = run_for(staff, county, "2026-11")
    held = PayrollPayment.objects.get(run=run, person=world["a"].person)
    assert (held.status, held.amount) == (PaymentStatus.HELD, D("3250.00"))
    assert run.parameters["held"] == 1
    payroll.payroll_run_approve(actor=staff["reviewer"], run=run)
    files = bank.payroll_run_export(actor=staff["caseworker"], run=run)
    assert {f.payment_count for f in files} == {1}  # only B goes to the bank


def test_survivor_benefits_are_paid_to_the_claimant_after_the_pension_stopped(staff, county, world):
    a = world["a"]
    a.status, a.stop_month = DeterminationStatus.STOPPED, Period.parse("2026-11")
    a.save(update_fields=["status", "stop_month"])
    PayrollDue.objects.create(
        person=a.person, determination=a, item=PayrollItem.SURVIVOR_BENEFIT,
        amount=D("122800.00"), source="survivor_claim:1", reason="survivors",
        payee_name="甲之子", bank_name="中国建设银行", bank_account="6217000000000001",
    )  # fmt: skip

    run = run_for(staff, county, "2026-11")

    # no pension from the stop month, the survivors' benefits to the claimant's account
    assert ("甲", PayrollItem.PENSION) not in lines_of(run)
    assert lines_of(run)[("甲", PayrollItem.SURVIVOR_BENEFIT)] == (0, D("122800.00"))
    payment = PayrollPayment.objects.get(run=run, person=a.person)
    assert (payment.payee_name, payment.bank_name, payment.bank_account, payment.amount) == (
        "甲之子",
        "中国建设银行",
        "6217000000000001",
        D("122800.00"),
    )


@pytest.mark.parametrize(
    ("column", "value", "fragment"),
    [
        (2, "sNaN", "is not an amount of money"),
        (2, "1e30", "is not an amount of money"),
        (0, "²", "is not a serial number"),
        (0, "٤٧", "is not a serial number"),
        (1, "6.22202E+15", "bank account number as text"),  # a number cell saved as CSV
    ],
)
def test_hostile_cells_of_a_result_file_are_row_errors(staff, exported, column, value, fragment):
    run, _files = exported
    a = PayrollPayment.objects.get(run=run, payee_name="甲")
    row = [str(a.pk), a.bank_account, "3250.00", "成功", ""]
    row[column] = value
    parsed = bank.read_result_file(result_file([row]))
    assert parsed.errors == []
    with pytest.raises(InvalidInput) as refused:
        bank.bank_results_import(
            actor=staff["caseworker"], run=run, bank_name="中国工商银行",
            bank_batch_id="B-1", rows=parsed.rows,
        )  # fmt: skip
    (error,) = refused.value.details["rows"]
    assert (error["row"], error["value"]) == (2, value)
    assert fragment in error["message"]
    assert not BankResultBatch.objects.exists()


def test_a_result_workbook_with_a_number_account_a_formula_or_an_error_cell(staff, exported):
    from pension.tests.import_files import ERROR, FORMULA, xlsx_bytes

    run, _files = exported
    a = PayrollPayment.objects.get(run=run, payee_name="甲")
    b = PayrollPayment.objects.get(run=run, payee_name="乙")
    content = xlsx_bytes(
        [
            bank.RESULT_HEADERS,
            [a.pk, float(a.bank_account), 3250.0, "成功", ""],  # the account as a number
            [b.pk, b.bank_account, FORMULA("=8746.2"), "失败", "销户"],
            [b.pk, b.bank_account, 8746.2, ERROR("#N/A"), ""],
        ]
    )
    parsed = bank.read_result_file(SimpleUploadedFile("result.xlsx", content))
    # formula and error cells are refused by the reader, before any row is checked
    assert [(e.row, e.column) for e in parsed.errors] == [(3, "金额"), (4, "结果")]
    assert parsed.rows == []
    parsed = bank.read_result_file(SimpleUploadedFile("result.xlsx", xlsx_bytes(
        [bank.RESULT_HEADERS, [a.pk, float(a.bank_account), 3250.0, "成功", ""]]
    )))  # fmt: skip
    with pytest.raises(InvalidInput) as refused:
        bank.bank_results_import(
            actor=staff["caseworker"], run=run, bank_name="中国工商银行",
            bank_batch_id="B-1", rows=parsed.rows,
        )  # fmt: skip
    (error,) = refused.value.details["rows"]
    assert (error["row"], error["column"]) == (2, "账号")
    assert "bank account number as text" in error["message"]


def test_a_result_workbook_declaring_a_huge_dimension_is_refused_at_once(staff, settings):
    """The 5 KB file that kept a worker busy for 13 minutes: refused unread; the bank
    import's own limit (IMPORT_MAX_ROWS["bank_results"]) applies."""
    import time

    from pension.tests.import_files import declared_dimension, xlsx_bytes

    content = declared_dimension(
        xlsx_bytes([bank.RESULT_HEADERS, [1, "6222020200000001", 1, "成功", ""]]), "A1:XFD1048576"
    )
    started = time.monotonic()
    parsed = bank.read_result_file(SimpleUploadedFile("r.xlsx", content))
    assert time.monotonic() - started < 5  # minutes before the kernel
    assert [(e.row, e.value) for e in parsed.errors] == [(0, "A1:XFD1048576")]
    assert "more than the 1,000,000" in parsed.errors[0].message
    settings.IMPORT_MAX_ROWS = {"default": 200_000, "bank_results": 1}
    rows = [bank.RESULT_HEADERS] + [[n, "6222020200000001", 1, "成功", ""] for n in (1, 2)]
    parsed = bank.read_result_file(SimpleUploadedFile("r.csv", "\n".join(
        ",".join(map(str, r)) for r in rows).encode()))  # fmt: skip
    assert "more than 1 rows" in parsed.errors[0].message


def test_a_result_file_over_the_upload_limit(staff, settings):
    content = "流水号,账号,金额,结果,失败原因\n1,6222020200000001,1.00,成功,\n".encode()
    settings.UPLOAD_MAX_BYTES = len(content) - 1
    parsed = bank.read_result_file(SimpleUploadedFile("r.csv", content))
    assert [e.row for e in parsed.errors] == [0]
    assert "a file may be at most" in parsed.errors[0].message


def test_bank_files_write_a_name_like_a_formula_as_text(staff, county, world):
    """Formula injection: a payee named =HYPERLINK(…) (as a roster import may register
    her) is text in both bank files: with a leading apostrophe in the CSV, a string cell
    in the .xlsx; the amounts stay numbers and the control row's checksum is that of
    the bytes written."""
    import zipfile

    hyperlink = '=HYPERLINK("http://x","y")'
    a = world["a"].person
    a.name = hyperlink
    a.save(update_fields=["name"])
    run = run_for(staff, county, "2026-11")
    payroll.payroll_run_approve(actor=staff["reviewer"], run=run)
    files = bank.payroll_run_export(actor=staff["caseworker"], run=run)
    payment = PayrollPayment.objects.get(run=run, person=a)
    assert payment.payee_name == hyperlink

    csv_file = next(f for f in files if f.file_format == "csv")
    content = csv_file.file.read()
    rows = list(csv.reader(io.StringIO(content.decode())))
    (row,) = [r for r in rows if r[1] == str(payment.pk)]
    assert row[2:] == ["'" + hyperlink, payment.bank_account, str(payment.amount)]
    body = content[: content.rindex(b"\n", 0, len(content) - 1) + 1]
    assert b"'=HYPERLINK(" in body
    assert rows[-1] == ["合计", "2", "11996.20", hashlib.sha256(body).hexdigest()]
    assert hashlib.sha256(content).hexdigest() == csv_file.sha256

    xlsx_file = next(f for f in files if f.file_format == "xlsx")
    workbook_bytes = xlsx_file.file.read()
    xml = zipfile.ZipFile(io.BytesIO(workbook_bytes)).read("xl/worksheets/sheet1.xml")
    assert b"<f>" not in xml and b"<f " not in xml
    sheet = load_workbook(io.BytesIO(workbook_bytes), read_only=True).worksheets[0]
    cells = [[(c.value, c.data_type) for c in r] for r in sheet.iter_rows()]
    (line,) = [r for r in cells if r[1][0] == payment.pk]
    assert line[2] == (hyperlink, "s")
    assert line[4] == (float(payment.amount), "n")  # the amount a number
    assert cells[-1][3][0] == rows[-1][3]  # the CSV's checksum, of the same rows


def test_a_held_payment_is_reissued_once_the_account_exists(staff, county, world):
    person = world["a"].person
    account = person.bank_account
    person.bank_account = ""
    person.save(update_fields=["bank_account"])
    november = run_for(staff, county, "2026-11")
    held = PayrollPayment.objects.get(run=november, person=person)
    # 3 200.00 pension + 50.00 adjustment = 3 250.00, held: no account
    assert (held.status, held.amount) == (PaymentStatus.HELD, D("3250.00"))
    payroll.payroll_run_approve(actor=staff["reviewer"], run=november)
    bank.payroll_run_export(actor=staff["caseworker"], run=november)
    # the account is entered again before December's run
    person.bank_account = account
    person.save(update_fields=["bank_account"])
    december = run_for(staff, county, "2026-12")
    held.refresh_from_db()
    assert held.status == PaymentStatus.REISSUED
    assert december.parameters["held_reissued"] == 1
    # December pays A: 3 200.00 + 50.00 for December + the 3 250.00 re-issued
    # = 6 500.00, to the account now on record, and sends it to the bank
    assert lines_of(december)[("甲", PayrollItem.REISSUE)] == (0, D("3250.00"))
    paid = PayrollPayment.objects.get(run=december, person=person)
    assert (paid.amount, paid.bank_account, paid.status) == (
        D("6500.00"), account, PaymentStatus.PENDING,
    )  # fmt: skip
    due = PayrollDue.objects.get(source=f"payment:{held.pk}")
    assert (due.run_id, due.amount, due.item) == (december.pk, D("3250.00"), PayrollItem.REISSUE)
    # one re-issue due for the held payment, whatever runs again
    assert PayrollDue.objects.filter(source__startswith="payment:").count() == 1
