"""Bank files and bank results of the payroll (银行代发文件与回盘, §9.3.1).

Export (``payroll_run_export``): an approved run's payments, one file per bank, as CSV
(any size, written by ``COPY … TO STDOUT``) and as Excel up to ``EXCEL_MAX_PAYMENTS``
payments (openpyxl needs ~80 s a million rows, DESIGN §2.5). The CSV, in UTF-8:

    序号,流水号,姓名,账号,金额            (header)
    1,4711,张三,6222020200000001,3200.00  (one row per payment, by 流水号; LF line ends)
    …
    合计,<笔数>,<总金额>,<SHA-256>        (control totals)

where 流水号 is the payment's id, and the SHA-256 in the last row is that of every
byte before it (header and rows), so the bank can check the file is whole. The
``BankFile`` row keeps the counts, the total and the SHA-256 of the whole file. The
Excel file has the same header, rows and control row. A payment of an exported run
that is still "pending" is with its bank, waiting for the result (no update of a
million payments to say so).

Results (``bank_results_import``): the bank's answer per payment, as a file (CSV or
.xlsx, header 流水号 | 账号 | 金额 | 结果 | 失败原因, 结果 成功 or 失败) or as rows from
the API, under the bank's batch id. Every row is validated first (the payment is of
this run and bank and was sent, the account and amount are the ones sent, the result is
known, a failure has a reason); one wrong row and nothing is imported. Then, set-based,
the payments become paid or failed, and each failed one becomes a re-issue due
(``PayrollDue`` "reissue", source ``payment:<id>``) that the next payroll pays. A batch
id is unique per bank (``bankresultbatch_one_id_per_bank``); a batch id already received
from the same bank with the same content (SHA-256 of the file, or of the rows sent by
the API) returns the first result and changes nothing (a replay); the same id with
other content, or an id another bank used, is refused (409) and imports nothing. The
run is closed when no payment waits for a result.
"""

from __future__ import annotations

import hashlib
import io
import json
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.files import File
from django.db import connection, transaction
from django.db.models import Case, Count, Sum, When
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook

from benefits.choices import PaymentStatus, PayrollItem, PayrollRunStatus
from benefits.models import BankFile, BankResultBatch, PayrollPayment, PayrollRun
from benefits.payroll.runs import log, wrong_status
from enrollment.selectors import insured_persons_sql
from pension import changelog
from pension.choices import InstructionStatus
from pension.errors import Conflict, InvalidInput, NotPermitted
from pension.exports import SafeCsvWriter, safe_xlsx_row, sql_safe_text
from pension.imports import (
    CellError,
    RowError,
    cell_bank_account,
    cell_money,
    cell_serial,
    cell_text,
    max_rows,
    read_table,
    register_import,
    row_error_dict,
)
from pension.models import ChangeAction
from pension.scope import region_allows

EXCEL_MAX_PAYMENTS = 100_000
HEADERS = ("序号", "流水号", "姓名", "账号", "金额")
TOTAL_LABEL = "合计"
RESULT_HEADERS = ("流水号", "账号", "金额", "结果", "失败原因")
RESULT_KEYS = ("payment", "account", "amount", "result", "reason")
RESULT_PAID = ("成功", "success", "S")
RESULT_FAILED = ("失败", "failed", "F")
MAX_RESULT_ROWS = 1_000_000

ERROR_NOT_APPROVED = _("The payroll must be approved before its bank files are written.")
ERROR_OUTSIDE_REGION = _("This run belongs to a region outside yours.")
ERROR_NOT_EXPORTED = _("The bank files of this run have not been written; no result can come.")
ERROR_ROWS = _("%(count)s rows of the bank result are wrong; nothing was imported.")
ERROR_BATCH_OTHER_RUN = _(
    "Bank batch %(batch)s was received for payroll run %(run)s, not this one; nothing was changed."
)
ERROR_BATCH_ID = _("The bank batch id is missing.")
ERROR_BATCH_REUSED = _(
    "Bank batch %(batch)s was received before with other results; nothing was changed."
)
ERROR_BATCH_OTHER_BANK = _(
    "Bank batch id %(batch)s was already used by another bank; nothing was changed. "
    "Ask the bank to send this result under a batch id of its own."
)


# Export -------------------------------------------------------------------------------


class _HashingWriter:
    """A binary file that hashes and counts what is written to it."""

    def __init__(self, handle) -> None:
        self.handle = handle
        self.sha = hashlib.sha256()

    def write(self, data: bytes | str) -> int:
        if isinstance(data, str):
            data = data.encode()
        self.sha.update(data)
        return self.handle.write(data)


def _payment_query(run: PayrollRun, bank_name: str, *, csv_safe: bool = False) -> str:
    """The rows of a bank file. With ``csv_safe`` (for ``COPY … TO`` CSV) a name or
    account that a spreadsheet would take for a formula gets a leading apostrophe
    (``pension.exports``); the amount stays a number."""
    name, account = (
        (sql_safe_text("payee_name"), sql_safe_text("bank_account"))
        if csv_safe
        else ("payee_name", "bank_account")
    )
    with connection.cursor() as cursor:
        return cursor.mogrify(
            f"""
            SELECT row_number() OVER (ORDER BY id), id, {name}, {account}, amount
              FROM benefits_payrollpayment
             WHERE run_id = %s AND bank_name = %s AND status = %s
             ORDER BY id
            """,
            [run.pk, bank_name, str(PaymentStatus.PENDING)],
        ).decode()


def _write_csv(run: PayrollRun, bank_name: str, count: int, total: Decimal, actor) -> BankFile:
    with tempfile.TemporaryFile() as handle:
        writer = _HashingWriter(handle)
        writer.write(",".join(HEADERS) + "\n")
        with connection.cursor() as cursor:
            query = _payment_query(run, bank_name, csv_safe=True)
            cursor.cursor.copy_expert(
                f"COPY ({query}) TO STDOUT WITH (FORMAT csv)",
                writer,
            )
        body_sha = writer.sha.hexdigest()
        writer.write(f"{TOTAL_LABEL},{count},{total},{body_sha}\n")
        return _store(run, bank_name, "csv", count, total, writer.sha.hexdigest(), handle, actor)


def _write_xlsx(run: PayrollRun, bank_name: str, count: int, total: Decimal, actor) -> BankFile:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title="代发")
    sheet.append(list(HEADERS))
    # the checksum of the same bytes as the CSV's (csv quotes like COPY … CSV does, and
    # SafeCsvWriter writes a leading apostrophe as the CSV's query does); in the sheet a
    # name "=…" is a string cell, the amount a number
    text = io.StringIO()
    rows = SafeCsvWriter(text, lineterminator="\n")
    rows.writerow(HEADERS)
    with connection.cursor() as cursor:
        cursor.execute(_payment_query(run, bank_name))
        for row in cursor.fetchall():
            sheet.append(safe_xlsx_row(sheet, row))
            rows.writerow(row)
    body = hashlib.sha256(text.getvalue().encode())
    sheet.append([TOTAL_LABEL, count, total, body.hexdigest()])
    buffer = io.BytesIO()
    workbook.save(buffer)
    content = buffer.getvalue()
    with tempfile.TemporaryFile() as handle:
        handle.write(content)
        digest = hashlib.sha256(content).hexdigest()
        return _store(run, bank_name, "xlsx", count, total, digest, handle, actor)


def _store(run, bank_name, file_format, count, total, digest, handle, actor) -> BankFile:
    handle.seek(0)
    bank_file = BankFile(
        run=run,
        bank_name=bank_name,
        file_format=file_format,
        payment_count=count,
        total_amount=total,
        sha256=digest,
        created_by=actor,
    )
    name = f"payroll-{run.period}-run{run.pk}-{hashlib.md5(bank_name.encode()).hexdigest()[:8]}"
    bank_file.file.save(f"{name}.{file_format}", File(handle), save=False)
    bank_file.save()
    return bank_file


@transaction.atomic
def payroll_run_export(
    *, actor, run: PayrollRun, excel_max: int = EXCEL_MAX_PAYMENTS
) -> list[BankFile]:
    """Approved → exported: a bank file per bank (CSV, and Excel for the banks with up
    to ``excel_max`` payments) of the payments not held; they wait for the banks'
    results. Refused before approval: what the bank pays must be approved first."""
    run = PayrollRun.objects.select_for_update().select_related("region").get(pk=run.pk)
    if actor is not None and not region_allows(actor, run.region_id, "prepare"):
        raise NotPermitted(ERROR_OUTSIDE_REGION, code="outside_region")
    if run.status in (
        PayrollRunStatus.DRAFT,
        PayrollRunStatus.RUNNING,
        PayrollRunStatus.CALCULATED,
    ):
        raise Conflict(ERROR_NOT_APPROVED, code="not_approved")
    if run.status != PayrollRunStatus.APPROVED:
        raise wrong_status(run, "exported")
    banks = (
        PayrollPayment.objects.filter(run=run, status=PaymentStatus.PENDING)
        .values("bank_name")
        .annotate(count=Count("id"), total=Sum("amount"))
        .order_by("bank_name")
    )
    files = []
    for bank in banks:
        name, count, total = bank["bank_name"], bank["count"], bank["total"]
        files.append(_write_csv(run, name, count, total, actor))
        if count <= excel_max:
            files.append(_write_xlsx(run, name, count, total, actor))
    run.status = PayrollRunStatus.EXPORTED
    run.exported_by = actor
    run.exported_at = timezone.now()
    run.parameters = {
        **run.parameters,
        "bank_files": [
            {"bank": f.bank_name, "format": f.file_format, "count": f.payment_count,
             "total": str(f.total_amount), "sha256": f.sha256}
            for f in files
        ],
    }  # fmt: skip
    run.save(update_fields=["status", "exported_by", "exported_at", "parameters"])
    log(actor, run, PayrollRunStatus.APPROVED, reason=f"{len(files)} bank files written")
    return files


def bank_files(run: PayrollRun):
    return BankFile.objects.filter(run=run).order_by("bank_name", "file_format")


# Results --------------------------------------------------------------------------------


@dataclass
class ResultRows:
    """A bank result read from a file: its rows (as dicts) and what is wrong."""

    file_name: str
    sha256: str
    rows: list[dict[str, Any]]
    errors: list[RowError]


def read_result_file(upload) -> ResultRows:
    """The rows of a bank result file, CSV (UTF-8 with or without BOM, or GB18030) or
    .xlsx, first row the headers ``RESULT_HEADERS``, read by the import kernel (limits,
    formula and error cells refused). The cells are kept as read: they are checked by
    ``bank_results_import``, the same way as the rows of the API."""
    table = read_table(upload, headers=RESULT_HEADERS, limit=max_rows("bank_results"))
    rows = [
        dict(zip(RESULT_KEYS, values, strict=True), row=number) for number, values in table.rows
    ]
    return ResultRows(table.file_name, table.sha256, [] if table.errors else rows, table.errors)


@dataclass(slots=True)
class _Parsed:
    row: int
    payment: int
    payment_value: Any
    account: str | None
    account_value: Any
    amount: Decimal | None
    amount_value: Any
    result: Any
    reason: str


def _check_rows(
    run: PayrollRun, bank_name: str, rows: list[Mapping[str, Any]]
) -> tuple[list, list]:
    """The rows as (payment id, paid?, reason) and the row errors. The same checks for
    a file's rows and the API's: each cell by the import kernel's parser (a serial
    number of ASCII digits, an account of digits given as text, an amount by
    ``parse_money``), then against the payment sent."""
    errors: list[RowError] = []

    def wrong(number: int, column: str, value: Any, message: str) -> None:
        errors.append(RowError(number, column, "" if value is None else str(value), message))

    parsed: list[_Parsed] = []
    for index, row in enumerate(rows, start=2):
        number = int(row.get("row", index))
        payment_value = row.get("payment")
        try:
            pk = cell_serial(payment_value)
        except CellError as error:
            wrong(number, "流水号", payment_value, error.message)
            continue
        account_value, amount_value = row.get("account"), row.get("amount")
        account = amount = None
        try:
            account = cell_bank_account(account_value)
        except CellError as error:
            wrong(number, "账号", account_value, error.message)
        try:
            amount = cell_money(amount_value)
        except CellError as error:
            wrong(number, "金额", amount_value, error.message)
        try:
            reason = cell_text(row.get("reason"), max_length=10_000)[:200]
        except CellError:
            reason = ""
        parsed.append(
            _Parsed(
                number, pk, payment_value, account, account_value, amount, amount_value,
                row.get("result"), reason,
            )
        )  # fmt: skip
    payments = {
        p.pk: p
        for p in PayrollPayment.objects.filter(run=run, pk__in=[p.payment for p in parsed]).only(
            "pk", "bank_name", "bank_account", "amount", "status", "result_batch_id"
        )
    }
    seen: set[int] = set()
    checked = []
    for item in parsed:
        number, pk, text = item.row, item.payment, str(item.payment_value).strip()
        payment = payments.get(pk)
        if payment is None or payment.bank_name != bank_name:
            wrong(
                number, "流水号", text, gettext("No payment of this run and bank has this number.")
            )
            continue
        if pk in seen:
            wrong(number, "流水号", text, gettext("This payment appears twice in the file."))
            continue
        seen.add(pk)
        if payment.status != PaymentStatus.PENDING or payment.result_batch_id is not None:
            wrong(
                number,
                "流水号",
                text,
                gettext("This payment was not sent or has a result already."),
            )
            continue
        if item.account is not None and item.account != payment.bank_account:
            wrong(
                number, "账号", item.account,
                gettext("The account is not the one the payment was sent to."),
            )  # fmt: skip
        if item.amount is not None and item.amount != payment.amount:
            wrong(
                number, "金额", item.amount_value,
                gettext("The amount is not the %(amount)s sent.") % {"amount": payment.amount},
            )  # fmt: skip
        outcome = "" if item.result is None else str(item.result).strip()
        if outcome in RESULT_PAID:
            paid = True
        elif outcome in RESULT_FAILED:
            paid = False
            if not item.reason:
                wrong(number, "失败原因", "", gettext("A failed payment needs the bank's reason."))
        else:
            wrong(number, "结果", outcome, gettext("The result must be 成功 or 失败."))
            continue
        checked.append((pk, paid, item.reason))
    errors.sort(key=lambda e: (e.row, RESULT_HEADERS.index(e.column) if e.column else -1))
    return checked, errors


def bank_results_import(
    *,
    actor=None,
    api_client: str = "",
    run: PayrollRun,
    bank_name: str,
    bank_batch_id: str,
    rows: list[Mapping[str, Any]],
    sha256: str = "",
) -> BankResultBatch:
    """Record a bank's results for ``run`` under ``bank_batch_id`` (idempotent: a batch
    id already received from this bank with the same content, ``sha256`` or else the
    hash of ``rows``, returns that first batch, changed nothing). Raises
    ``InvalidInput`` with every row error (``details["rows"]``) and imports nothing
    when any row is wrong."""
    bank_batch_id = (bank_batch_id or "").strip()
    if not bank_batch_id:
        raise InvalidInput(ERROR_BATCH_ID, code="batch_id_required")
    sha256 = sha256 or rows_digest(rows)
    with transaction.atomic():
        existing = _received(bank_batch_id, bank_name)
        if existing is not None:
            return _replayed(existing, run, bank_name, sha256)
        run = PayrollRun.objects.select_for_update().get(pk=run.pk)
        # a concurrent import of the same batch waited for the run lock: look again
        existing = _received(bank_batch_id, bank_name)
        if existing is not None:
            return _replayed(existing, run, bank_name, sha256)
        if actor is not None and not region_allows(actor, run.region_id, "prepare"):
            raise NotPermitted(ERROR_OUTSIDE_REGION, code="outside_region")
        if run.status not in (PayrollRunStatus.EXPORTED, PayrollRunStatus.CLOSED):
            raise Conflict(ERROR_NOT_EXPORTED, code="not_exported")
        checked, errors = _check_rows(run, bank_name, rows)
        if errors or not checked:
            raise InvalidInput(
                ERROR_ROWS,
                code="invalid_rows",
                params={"count": len({e.row for e in errors}) or 1},
                details={"rows": [row_error_dict(e) for e in errors]},
            )
        batch = BankResultBatch.objects.create(
            bank_batch_id=bank_batch_id,
            run=run,
            bank_name=bank_name,
            sha256=sha256,
            received_by=actor,
            api_client=api_client,
        )
        with connection.cursor() as cursor:
            cursor.execute(
                """
                UPDATE benefits_payrollpayment p
                   SET status = CASE WHEN r.paid THEN %(paid)s ELSE %(failed)s END,
                       failure_reason = CASE WHEN r.paid THEN '' ELSE r.reason END,
                       result_batch_id = %(batch)s
                  FROM unnest(%(ids)s::bigint[], %(flags)s::boolean[], %(reasons)s::text[])
                       AS r(id, paid, reason)
                 WHERE p.id = r.id AND p.run_id = %(run)s AND p.status = %(pending)s
                """,
                {
                    "ids": [c[0] for c in checked],
                    "flags": [c[1] for c in checked],
                    "reasons": [c[2] for c in checked],
                    "paid": str(PaymentStatus.PAID),
                    "failed": str(PaymentStatus.FAILED),
                    "pending": str(PaymentStatus.PENDING),
                    "batch": batch.pk,
                    "run": run.pk,
                },
            )
            # payment instructions carried by these payments: paid or failed as they are
            cursor.execute(
                """
                UPDATE pension_paymentinstruction i
                   SET status = CASE WHEN p.status = %(paid)s THEN %(i_paid)s ELSE %(i_failed)s END,
                       failure_reason = p.failure_reason, result_at = now()
                  FROM benefits_payrollpayment p
                 WHERE p.run_id = %(run)s AND p.result_batch_id = %(batch)s
                   AND p.instruction_id = i.id
                """,
                {
                    "paid": str(PaymentStatus.PAID),
                    "i_paid": str(InstructionStatus.PAID),
                    "i_failed": str(InstructionStatus.FAILED),
                    "run": run.pk,
                    "batch": batch.pk,
                },
            )
            cursor.execute(
                _REISSUE_SQL,
                {
                    "run": run.pk,
                    "batch": batch.pk,
                    "failed": str(PaymentStatus.FAILED),
                    "reissue": str(PayrollItem.REISSUE),
                    "reason": gettext("Re-issue of a payment the bank could not make"),
                    "actor": getattr(actor, "pk", None),
                },
            )
            reissued = cursor.rowcount
            cursor.execute(
                """
                SELECT count(*) FILTER (WHERE status = %(paid)s),
                       coalesce(sum(amount) FILTER (WHERE status = %(paid)s), 0),
                       count(*) FILTER (WHERE status = %(failed)s),
                       coalesce(sum(amount) FILTER (WHERE status = %(failed)s), 0)
                  FROM benefits_payrollpayment
                 WHERE run_id = %(run)s AND result_batch_id = %(batch)s
                """,
                {
                    "paid": str(PaymentStatus.PAID),
                    "failed": str(PaymentStatus.FAILED),
                    "batch": batch.pk,
                    "run": run.pk,
                },
            )
            paid_count, paid_amount, failed_count, failed_amount = cursor.fetchone()
        batch.paid_count, batch.paid_amount = paid_count, paid_amount
        batch.failed_count, batch.failed_amount = failed_count, failed_amount
        batch.result = {
            "bank_batch_id": bank_batch_id,
            "run": run.pk,
            "bank": bank_name,
            "paid": paid_count,
            "paid_amount": str(paid_amount),
            "failed": failed_count,
            "failed_amount": str(failed_amount),
            "reissued": reissued,
        }
        batch.save()
        changelog.record(
            actor=actor,
            action=ChangeAction.CREATE,
            instance=batch,
            after={**batch.result, "system": api_client, "sha256": sha256},
            reason=f"bank results {bank_batch_id}" + (f" from {api_client}" if api_client else ""),
        )
        waiting = PayrollPayment.objects.filter(run=run, status=PaymentStatus.PENDING).exists()
        if not waiting and run.status == PayrollRunStatus.EXPORTED:
            run.status = PayrollRunStatus.CLOSED
            run.save(update_fields=["status"])
            log(
                actor,
                run,
                PayrollRunStatus.EXPORTED,
                reason=gettext_noop("every bank result received"),
            )
    return batch


def rows_digest(rows: Iterable[Mapping[str, Any]]) -> str:
    """SHA-256 of result rows in canonical JSON: the content of a batch without a file."""
    canonical = json.dumps(
        [{str(k): str(v) for k, v in row.items()} for row in rows],
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _received(bank_batch_id: str, bank_name: str) -> BankResultBatch | None:
    """The batch received under this id: this bank's first, else another bank's."""
    return (
        BankResultBatch.objects.filter(bank_batch_id=bank_batch_id)
        .order_by(Case(When(bank_name=bank_name, then=0), default=1), "pk")
        .first()
    )


def _replayed(
    batch: BankResultBatch, run: PayrollRun, bank_name: str, sha256: str
) -> BankResultBatch:
    """A replay only when the bank and the content match; else a clear refusal."""
    if batch.bank_name != bank_name:
        raise Conflict(
            ERROR_BATCH_OTHER_BANK,
            code="bank_batch_other_bank",
            params={"batch": batch.bank_batch_id},
        )
    if batch.run_id != run.pk:
        raise Conflict(
            ERROR_BATCH_OTHER_RUN,
            code="batch_other_run",
            params={"batch": batch.bank_batch_id, "run": batch.run_id},
        )
    if not batch.sha256 or batch.sha256 != sha256:
        raise Conflict(
            ERROR_BATCH_REUSED, code="bank_batch_reused", params={"batch": batch.bank_batch_id}
        )
    batch.replayed = True
    return batch


# A failed payment's amount, to be paid by the next run: to the payee it was for when
# that was not the retiree (survivor benefits), else to the account then on record.
_REISSUE_SQL = f"""
INSERT INTO benefits_payrolldue
    (person_id, determination_id, item, amount, from_month, to_month, months, source, reason,
     details, payee_name, bank_name, bank_account, created_by_id, created_at, run_id)
SELECT pay.person_id, d.id, %(reissue)s, pay.amount, pay.period, pay.period, 0,
       'payment:' || pay.id, %(reason)s,
       jsonb_build_object('payment', pay.id, 'run', pay.run_id, 'period', pay.period,
                          'failure_reason', pay.failure_reason, 'account', pay.bank_account),
       CASE WHEN pay.payee_name <> p.name THEN pay.payee_name ELSE '' END,
       CASE WHEN pay.payee_name <> p.name THEN pay.bank_name ELSE '' END,
       CASE WHEN pay.payee_name <> p.name THEN pay.bank_account ELSE '' END,
       %(actor)s, now(), NULL
  FROM benefits_payrollpayment pay
  JOIN {insured_persons_sql()} p ON p.id = pay.person_id
  JOIN benefits_pensiondetermination d
    ON d.person_id = pay.person_id AND d.superseded_by_id IS NULL
 WHERE pay.run_id = %(run)s AND pay.result_batch_id = %(batch)s AND pay.status = %(failed)s
   AND pay.instruction_id IS NULL  -- a failed instruction waits for a corrected account
ON CONFLICT (source) DO NOTHING
"""


def _bank_results_job(job: Any, progress) -> dict[str, Any]:
    """A bank result file of many rows, imported on a worker (``pension.imports``): the
    same checks as the page's, all or nothing."""
    from django.urls import reverse

    parsed = read_result_file(job.file)
    if parsed.errors:
        raise InvalidInput(
            ERROR_ROWS,
            code="invalid_rows",
            params={"count": len({e.row for e in parsed.errors}) or 1},
            details={"rows": [row_error_dict(e) for e in parsed.errors]},
        )
    progress(len(parsed.rows), 2 * len(parsed.rows))
    run = PayrollRun.objects.get(pk=job.params["run"])
    batch = bank_results_import(
        actor=job.created_by,
        run=run,
        bank_name=job.params["bank_name"],
        bank_batch_id=job.params["bank_batch_id"],
        rows=parsed.rows,
        sha256=parsed.sha256,
    )
    return {
        "batch": batch.pk,
        "replayed": bool(getattr(batch, "replayed", False)),
        "paid": batch.paid_count,
        "failed": batch.failed_count,
        "url": reverse("benefits:payroll_run_detail", args=[run.pk]),
    }


register_import("bank_results", _bank_results_job)
