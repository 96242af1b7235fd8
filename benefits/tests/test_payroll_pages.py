"""The payroll pages: a run made and shown with its totals and variance, approval by a
second person only, the bank file downloaded as written, and a bank result with a wrong
row shown row by row and importing nothing."""

from __future__ import annotations

import hashlib
from decimal import Decimal as D

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from benefits.choices import PaymentStatus, PayrollRunStatus
from benefits.models import BankResultBatch, PayrollPayment, PayrollRun
from benefits.payroll import runs as payroll
from benefits.tests.factories import retiree

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def county(staff) -> str:
    return staff["caseworker"].agency.region_id


@pytest.fixture
def two(staff):
    """甲 3200.00 a month paid through 2026-10; 乙 2875.40, never paid (retired 2026-10)."""
    agency = staff["caseworker"].agency
    return (
        retiree(agency, paid_through="2026-10", name="甲"),
        retiree(agency, basic="1200.40", account="775.00", retired="2026-10", name="乙"),
    )


def login(client, user):
    """Signed in, the pages in English (the msgids the tests compare)."""
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def test_a_run_is_created_on_its_page_and_shows_totals(client, staff, county, two):
    login(client, staff["caseworker"])
    response = client.post(
        reverse("benefits:payroll_run_create"),
        {"period": "2026-11", "region": county, "dry_run": ""},
    )
    run = PayrollRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("benefits:payroll_run_detail", args=[run.pk])
    assert (run.period.as_int, run.region_id, run.dry_run) == (202611, county, False)
    payroll.payroll_run_execute(run.pk)  # what the worker does

    page = client.get(reverse("benefits:payroll_run_detail", args=[run.pk])).content.decode()
    # 3200.00 + 2875.40 = 6075.40, both new to the payroll (nothing paid in 2026-10)
    assert 'id="total-amount">6,075.40<' in page
    assert page.count('data-change="new"') == 2
    assert 'id="approve"' not in page  # the starter does not approve


def test_only_a_second_person_approves_and_the_file_downloads(client, staff, county, two):
    run = payroll.payroll_run_create(actor=staff["caseworker"], period="2026-11", region=county)
    payroll.payroll_run_execute(run.pk)
    login(client, staff["caseworker"])
    client.post(reverse("benefits:payroll_run_approve", args=[run.pk]))
    run.refresh_from_db()
    assert run.status == PayrollRunStatus.CALCULATED
    client.post(reverse("benefits:payroll_run_export", args=[run.pk]))
    run.refresh_from_db()
    assert run.status == PayrollRunStatus.CALCULATED  # no export before approval

    login(client, staff["reviewer"])
    page = client.get(reverse("benefits:payroll_run_detail", args=[run.pk])).content.decode()
    assert 'id="approve"' in page
    client.post(reverse("benefits:payroll_run_approve", args=[run.pk]))
    run.refresh_from_db()
    assert (run.status, run.approved_by) == (PayrollRunStatus.APPROVED, staff["reviewer"])

    login(client, staff["caseworker"])
    client.post(reverse("benefits:payroll_run_export", args=[run.pk]))
    run.refresh_from_db()
    assert run.status == PayrollRunStatus.EXPORTED
    csv_file = run.bank_files.get(file_format="csv")
    response = client.get(reverse("benefits:bank_file_download", args=[csv_file.pk]))
    content = b"".join(response.streaming_content)
    assert hashlib.sha256(content).hexdigest() == csv_file.sha256
    assert "6075.40" in content.decode().splitlines()[-1]
    # a caseworker of another county does not see the file
    login(client, staff["other_caseworker"])
    assert client.get(reverse("benefits:bank_file_download", args=[csv_file.pk])).status_code == 404


def test_a_wrong_result_file_is_shown_row_by_row(client, staff, county, two):
    run = payroll.payroll_run_create(actor=staff["caseworker"], period="2026-11", region=county)
    payroll.payroll_run_execute(run.pk)
    payroll.payroll_run_approve(actor=staff["reviewer"], run=run)
    from benefits.payroll import bank

    bank.payroll_run_export(actor=staff["caseworker"], run=run)
    a = PayrollPayment.objects.get(run=run, payee_name="甲")
    text = f"流水号,账号,金额,结果,失败原因\n{a.pk},{a.bank_account},3200.01,成功,\n"
    login(client, staff["caseworker"])
    response = client.post(
        reverse("benefits:bank_result_upload", args=[run.pk]),
        {
            "bank_name": "中国工商银行",
            "bank_batch_id": "ICBC-1",
            "file": SimpleUploadedFile("r.csv", text.encode()),
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="row-errors"' in page and "The amount is not the 3200.00 sent." in page
    assert not BankResultBatch.objects.exists()
    a.refresh_from_db()
    assert a.status == PaymentStatus.PENDING

    good = f"流水号,账号,金额,结果,失败原因\n{a.pk},{a.bank_account},3200.00,成功,\n"
    response = client.post(
        reverse("benefits:bank_result_upload", args=[run.pk]),
        {
            "bank_name": "中国工商银行",
            "bank_batch_id": "ICBC-1",
            "file": SimpleUploadedFile("r.csv", good.encode()),
        },
    )
    assert response.status_code == 302
    a.refresh_from_db()
    assert a.status == PaymentStatus.PAID
    assert BankResultBatch.objects.get().paid_amount == D("3200.00")


def test_the_person_page_shows_payments_dues_and_certifications(client, staff, county, two):
    a, _b = two
    run = payroll.payroll_run_create(actor=staff["caseworker"], period="2026-11", region=county)
    payroll.payroll_run_execute(run.pk)
    payroll.payroll_run_approve(actor=staff["reviewer"], run=run)
    from benefits.choices import PayrollItem
    from benefits.models import PayrollDue

    PayrollDue.objects.create(
        person=a.person, determination=a, item=PayrollItem.BACK_PAY, amount=D("6400.00"),
        months=2, source="test:back-pay", reason="resumed",
    )  # fmt: skip
    login(client, staff["caseworker"])
    page = client.get(reverse("enrollment:person_detail", args=[a.person.pk])).content.decode()
    # the approved November payment of 3200.00, paid through 2026-11, the back pay due
    assert 'data-period="2026-11"' in page and "3,200.00" in page
    assert '<dd id="benefit-paid-through">2026-11</dd>' in page
    assert 'id="payroll-dues"' in page and "6,400.00" in page
    # never certified: the last "certification" is the retirement date, due a year on
    assert '<dd id="certification-last">2026-05-01</dd>' in page
    assert '<dd id="certification-due">2027-05-01</dd>' in page
    assert 'id="benefit-suspend"' in page and 'id="certification-record"' in page


def test_a_reused_bank_batch_id_is_a_replay_only_for_the_same_bank_and_content(
    client, staff, county, two
):
    run = payroll.payroll_run_create(actor=staff["caseworker"], period="2026-11", region=county)
    payroll.payroll_run_execute(run.pk)
    payroll.payroll_run_approve(actor=staff["reviewer"], run=run)
    from benefits.payroll import bank

    bank.payroll_run_export(actor=staff["caseworker"], run=run)
    a = PayrollPayment.objects.get(run=run, payee_name="甲")
    b = PayrollPayment.objects.get(run=run, payee_name="乙")
    first = f"流水号,账号,金额,结果,失败原因\n{a.pk},{a.bank_account},3200.00,成功,\n"
    url = reverse("benefits:bank_result_upload", args=[run.pk])
    login(client, staff["caseworker"])

    def upload(text: str, bank_name: str = "中国工商银行"):
        return client.post(
            url,
            {
                "bank_name": bank_name,
                "bank_batch_id": "ICBC-7",
                "file": SimpleUploadedFile("r.csv", text.encode()),
            },
        )

    assert upload(first).status_code == 302
    batch = BankResultBatch.objects.get()
    assert batch.sha256 == hashlib.sha256(first.encode()).hexdigest()

    # the same file again: a replay, nothing changes
    response = upload(first)
    assert response.status_code == 302
    assert BankResultBatch.objects.count() == 1

    # the same id with other content (乙's result) is refused, not silently dropped
    other = f"流水号,账号,金额,结果,失败原因\n{b.pk},{b.bank_account},2875.40,成功,\n"
    response = upload(other)
    assert response.status_code == 400
    assert "Bank batch ICBC-7 was received before with other results" in response.content.decode()
    b.refresh_from_db()
    assert b.status == PaymentStatus.PENDING and BankResultBatch.objects.count() == 1

    # the same id from another bank is refused with its own message
    from pension.errors import Conflict

    with pytest.raises(Conflict) as refused:
        bank.bank_results_import(
            actor=staff["caseworker"], run=run, bank_name="中国建设银行", bank_batch_id="ICBC-7",
            rows=[], sha256=batch.sha256,
        )  # fmt: skip
    assert refused.value.code == "bank_batch_other_bank"
    assert "was already used by another bank" in str(refused.value)
    assert BankResultBatch.objects.count() == 1


def test_bank_batch_ids_are_unique_per_bank_in_the_database(staff, county, two):
    from django.db import IntegrityError, transaction

    run = payroll.payroll_run_create(actor=staff["caseworker"], period="2026-11", region=county)
    BankResultBatch.objects.create(bank_batch_id="X-1", run=run, bank_name="中国工商银行")
    with pytest.raises(IntegrityError), transaction.atomic():
        BankResultBatch.objects.create(bank_batch_id="X-1", run=run, bank_name="中国工商银行")
    # another bank may hold the same id in the table (the service refuses it, see above)
    BankResultBatch.objects.create(bank_batch_id="X-1", run=run, bank_name="中国建设银行")


def test_county_staff_read_their_part_of_a_province_run(client, staff, county, two):
    """Issue 15: a province-level run pays the counties' retirees; a county caseworker
    finds it in the list and on the person page, and reads their county's part only:
    甲 3200.00 + 乙 2875.40 = 6075.40 of the county, not 丙's 3200.00 of the other
    county, no payee or bank of another county, no action."""
    retiree(staff["other_caseworker"].agency, paid_through="2026-10", name="丙")
    province = staff["admin"].agency.region
    run = payroll.payroll_run_create(
        actor=staff["province_accountant"], period="2026-11", region=province, dry_run=True
    )
    payroll.payroll_run_execute(run.pk)
    run.refresh_from_db()
    assert run.total_amount == D("9275.40")  # 6075.40 + 3200.00

    login(client, staff["caseworker"])
    listed = client.get(reverse("benefits:payroll_run_list")).content.decode()
    assert f'data-run="{run.pk}"' in listed
    page = client.get(reverse("benefits:payroll_run_detail", args=[run.pk])).content.decode()
    assert 'id="part"' in page and 'id="part-amount">6,075.40<' in page
    assert "9,275.40" not in page and "丙" not in page
    for absent in ('id="variance"', 'id="banks"', 'id="start"', 'id="approve"', 'id="discard"'):
        assert absent not in page, absent
    # acting on it is still refused: the run is not in the county's scope
    response = client.post(reverse("benefits:payroll_run_discard", args=[run.pk]))
    assert response.status_code == 404
    assert PayrollRun.objects.filter(pk=run.pk).exists()

    login(client, staff["other_caseworker"])
    page = client.get(reverse("benefits:payroll_run_detail", args=[run.pk])).content.decode()
    assert 'id="part-amount">3,200.00<' in page and "甲" not in page
