"""Survivors' benefits (遗属待遇, §9.5) on the tiny demo province: the claim prepared with
its figures, approved by a second person, the death recorded, the claim, the payroll
due to the claimant, the receivable of what the benefits did not cover and its
collection case; the refusals; the pages. Every amount is worked by hand in the
comments from the formulas of DESIGN §4 (人社部发〔2021〕18号).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from accounts.choices import AccountStatus, EntryKind
from accounts.models import AccountEntry, PensionAccount
from accounts.tests.factories import account_with, make_person
from benefits.choices import (
    DeterminationStatus,
    PayrollItem,
    PayrollRunKind,
    PayrollRunStatus,
    ReceivableStatus,
    RetirementKind,
)
from benefits.models import (
    PayrollDue,
    PayrollLine,
    PayrollRun,
    PensionDetermination,
    Receivable,
    SurvivorClaim,
)
from benefits.survivors import claims as survivors
from contributions.tests.factories import assessed_months
from enrollment.choices import PersonStatus
from pension.approvals import approval_request_approve, operation_for
from pension.errors import Conflict, InvalidInput, NotPermitted
from pension.models import (
    ApprovalRequest,
    ApprovalStatus,
    PaymentInstruction,
    PolicyParameter,
    PolicyProfile,
)
from pension.periods import Period
from pension.validators import citizen_id_check_character

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 20)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def income(staff):
    """The urban per-capita monthly disposable income (a test value; the demo data has
    none): 2800.00 of 2024 in force in 2025, 3000.00 of 2025 in force in 2026."""
    shanxi = PolicyProfile.objects.get(code="shanxi")
    PolicyParameter.objects.create(
        key="survivors.disposable_income", profile=shanxi, effective_from=date(2025, 1, 1),
        value="2800.00", reference_year=2024, source="test",
    )  # fmt: skip
    return PolicyParameter.objects.create(
        key="survivors.disposable_income", profile=shanxi, effective_from=date(2026, 1, 1),
        value="3000.00", reference_year=2025, source="test",
    )  # fmt: skip


def claimant_id(born: date = date(1962, 7, 1)) -> str:
    first17 = f"140105{born:%Y%m%d}024"
    return first17 + citizen_id_check_character(first17)


def proof() -> SimpleUploadedFile:
    return SimpleUploadedFile("death.pdf", b"%PDF-1.4 death", content_type="application/pdf")


def retiree(staff, *, balance: str, actual: int, deemed: int, paid_through: str, **kwargs):
    """A retiree of the caseworker's county retired 2020-05 (first payable 2020-06) with
    a determination of 3200.00 a month: 2000.00 basic + 800.00 account + 400.00
    transitional."""
    person = make_person(
        staff["caseworker"].agency, born=date(1960, 5, 10), name=kwargs.pop("name", "张遗属"),
        status=PersonStatus.RETIRED, first_work_date=date(1980, 1, 1), deemed_months=deemed,
    )  # fmt: skip
    determination = PensionDetermination.objects.create(
        person=person, region=person.region, agency=person.agency,
        kind=RetirementKind.STATUTORY, status=DeterminationStatus.IN_PAYMENT,
        retirement_date=date(2020, 5, 10), retirement_month=Period.parse("2020-05"),
        statutory_date=date(2020, 5, 10), actual_months=actual, deemed_months=deemed,
        contribution_years=D(actual + deemed) / 12, average_index=D("1"),
        transitional_index=D("1"), divisor=D("139"), account_balance=D(balance),
        calculation_base=D("7000.00"), local_calculation_base=D("7000.00"),
        calculation_base_year=2020, basic_pension=D("2000.00"), account_pension=D("800.00"),
        transitional_pension=D("400.00"), extra_pension=D("0.00"), total=D("3200.00"),
        paid_through=Period.parse(paid_through),
    )  # fmt: skip
    return person, determination


def paid(determination, period: str, amount: str, months: int = 1) -> PayrollLine:
    """A posted pension line of an approved regular run of ``period``."""
    person = determination.person
    run = PayrollRun.objects.create(
        period=Period.parse(period), region=person.region, status=PayrollRunStatus.APPROVED
    )
    return PayrollLine.objects.create(
        run=run, posted=True, period=run.period, run_kind=PayrollRunKind.REGULAR, person=person,
        determination=determination, region=person.region, item=PayrollItem.PENSION,
        months=months, amount=D(amount),
    )  # fmt: skip


def claim_for(person, actor, **kwargs):
    defaults = {
        "death_date": date(2026, 8, 15),
        "claimant_name": "张家属",
        "claimant_id_number": claimant_id(),
        "relationship": "配偶",
        "bank_name": "中国工商银行",
        "bank_account": "6222020200112233445",
        "reason": "家属申领遗属待遇",
        "attachments": [proof()],
        "today": TODAY,
    }
    return survivors.survivor_claim_request(actor=actor, person=person, **{**defaults, **kwargs})


@pytest.fixture
def zhang(staff, income):
    """Died 2026-08-15; paid through 2026-10 (2026-09 and 10 paid after the death)."""
    person, determination = retiree(
        staff, balance="111200.00", actual=240, deemed=120, paid_through="2026-10"
    )
    paid(determination, "2026-08", "3200.00")  # the month of death: owed
    paid(determination, "2026-09", "3200.00")
    paid(determination, "2026-10", "3200.00")
    return person


def test_a_retirees_claim_recovers_the_overpayment_and_pays_the_rest(zhang, staff):
    # base 3000.00 (the 2026 value, of 2025)
    # funeral grant = 2 × 3000.00 = 6000.00
    # contribution months 240 + 120 = 360 (30 years): 9 + (360 − 180) // 12 = 9 + 15 = 24
    #   months, at most 24 → survivors' pension = 24 × 3000.00 = 72000.00
    # months paid 2020-06 .. min(2026-10, 2026-08) = 2026-08: 6 × 12 + 2 + 1 = 75;
    #   account pension paid 800.00 × 75 = 60000.00; heirs 111200.00 − 60000.00 = 51200.00
    # overpayment: stop from 2026-09; 2026-09 and 2026-10 paid 3200.00 each = 6400.00
    # benefits 6000 + 72000 + 51200 = 129200.00; recovered min(6400, 129200) = 6400.00
    # net = 129200.00 − 6400.00 = 122800.00; receivable 6400 − 6400 = 0
    request = claim_for(zhang, staff["caseworker"])
    payload = request.payload
    assert (
        payload["funeral_grant"],
        payload["pension_months"],
        payload["survivors_pension"],
        payload["months_paid"],
        payload["account_pension_paid"],
        payload["heirs_balance"],
        payload["overpayment"],
        payload["overpaid_months"],
        payload["recovered"],
        payload["net_payable"],
        payload["receivable"],
    ) == (
        "6000.00", 24, "72000.00", 75, "60000.00", "51200.00", "6400.00",
        ["2026-09", "2026-10"], "6400.00", "122800.00", "0.00",
    )  # fmt: skip
    assert request.amount == D("122800.00")
    # nothing but the request: the death is not recorded yet
    zhang.refresh_from_db()
    assert zhang.status == PersonStatus.RETIRED
    assert PensionDetermination.objects.get(person=zhang).stop_month is None
    assert not SurvivorClaim.objects.exists() and not PayrollDue.objects.exists()

    # self-approval refused; 122800.00 > 50000.00 needs a city reviewer
    with pytest.raises(NotPermitted) as refused:
        approval_request_approve(actor=staff["caseworker"], request_id=request.pk)
    assert refused.value.code == "self_approval"
    with pytest.raises(NotPermitted) as refused:
        approval_request_approve(actor=staff["reviewer"], request_id=request.pk)
    assert refused.value.code == "level_too_low"
    approval_request_approve(actor=staff["city_reviewer"], request_id=request.pk)

    zhang.refresh_from_db()
    assert zhang.status == PersonStatus.DECEASED
    determination = PensionDetermination.objects.get(person=zhang)
    assert determination.stop_month == Period.parse("2026-09")
    claim = SurvivorClaim.objects.get(person=zhang)
    assert (
        claim.determination_id,
        claim.funeral_grant,
        claim.survivors_pension,
        claim.heirs_balance,
        claim.overpayment,
        claim.recovered,
        claim.net_payable,
        claim.case_id,
    ) == (
        determination.pk, D("6000.00"), D("72000.00"), D("51200.00"), D("6400.00"),
        D("6400.00"), D("122800.00"), request.pk,
    )  # fmt: skip
    assert claim.inputs["disposable_income"] == "3000.00"
    assert claim.inputs["contribution_months"] == 360
    assert claim.inputs["balance_at_retirement"] == "111200.00"
    assert claim.inputs["paid_by_instruction"] is False
    assert any(ref.startswith("survivors.disposable_income@") for ref in claim.inputs["references"])
    due = PayrollDue.objects.get(person=zhang)
    assert (
        due.item, due.amount, due.source, due.payee_name, due.bank_account, due.run_id,
        due.determination_id,
    ) == (
        PayrollItem.SURVIVOR_BENEFIT, D("122800.00"), f"survivor_claim:{claim.pk}", "张家属",
        "6222020200112233445", None, determination.pk,
    )  # fmt: skip
    assert not Receivable.objects.exists()

    # a second claim for the same person is refused
    with pytest.raises(Conflict) as refused:
        claim_for(zhang, staff["caseworker"])
    assert refused.value.code == "already_claimed"


def test_an_overpayment_above_the_benefits_leaves_a_receivable_to_collect(staff, income):
    # died 2025-12-20, paid through 2026-10: base 2800.00 (the 2025 value, of 2024)
    # funeral = 2 × 2800.00 = 5600.00; 120 + 60 = 180 months (15 years) → 9 months:
    #   9 × 2800.00 = 25200.00
    # months paid 2020-06 .. 2025-12 = 5 × 12 + 6 + 1 = 67; 800.00 × 67 = 53600.00 >
    #   8000.00 → heirs 0.00
    # overpayment from 2026-01: 3200.00 (2026-01) + 28800.00 (2026-10, 9 months 02..10)
    #   = 32000.00; benefits 5600 + 25200 + 0 = 30800.00; recovered 30800.00, net 0.00;
    #   receivable 32000.00 − 30800.00 = 1200.00
    person, determination = retiree(
        staff, balance="8000.00", actual=120, deemed=60, paid_through="2026-10", name="李遗属"
    )
    paid(determination, "2026-01", "3200.00")
    paid(determination, "2026-10", "28800.00", months=9)
    request = claim_for(person, staff["caseworker"], death_date=date(2025, 12, 20))
    assert (
        request.payload["funeral_grant"],
        request.payload["survivors_pension"],
        request.payload["heirs_balance"],
        request.payload["overpayment"],
        request.payload["recovered"],
        request.payload["net_payable"],
        request.payload["receivable"],
    ) == ("5600.00", "25200.00", "0.00", "32000.00", "30800.00", "0.00", "1200.00")
    approval_request_approve(actor=staff["reviewer"], request_id=request.pk)
    claim = SurvivorClaim.objects.get(person=person)
    assert claim.net_payable == D("0.00")
    assert not PayrollDue.objects.filter(person=person).exists()  # nothing to pay
    receivable = Receivable.objects.get(person=person)
    assert (receivable.claim_id, receivable.amount, receivable.collected, receivable.status) == (
        claim.pk,
        D("1200.00"),
        D("0.00"),
        ReceivableStatus.OPEN,
    )
    assert receivable.reason == "Pension paid after death"

    record = survivors.receivable_collection_record
    caseworker = staff["caseworker"]
    record(actor=caseworker, receivable=receivable, amount="500.00",
           collected_on=date(2026, 11, 2), note="家属退回", today=TODAY)  # fmt: skip
    receivable.refresh_from_db()
    # 1200.00 − 500.00 = 700.00 still owed
    assert (receivable.collected, receivable.status) == (D("500.00"), ReceivableStatus.OPEN)
    with pytest.raises(InvalidInput) as refused:
        record(actor=caseworker, receivable=receivable, amount="700.01",
               collected_on=date(2026, 11, 3), today=TODAY)  # fmt: skip
    assert refused.value.code == "more_than_owed"
    assert str(refused.value) == "700.01 is more than the 700.00 still owed; nothing was recorded."
    with pytest.raises(InvalidInput) as refused:
        record(actor=caseworker, receivable=receivable, amount="0",
               collected_on=date(2026, 11, 3), today=TODAY)  # fmt: skip
    assert refused.value.code == "invalid_amount"
    with pytest.raises(InvalidInput) as refused:
        record(actor=caseworker, receivable=receivable, amount="100.00",
               collected_on=date(2026, 11, 21), today=TODAY)  # fmt: skip
    assert refused.value.code == "collected_in_future"
    with pytest.raises(NotPermitted):
        record(actor=staff["other_caseworker"], receivable=receivable, amount="100.00",
               collected_on=date(2026, 11, 3), today=TODAY)  # fmt: skip
    record(actor=caseworker, receivable=receivable, amount="700.00",
           collected_on=date(2026, 11, 10), today=TODAY)  # fmt: skip
    receivable.refresh_from_db()
    assert (receivable.collected, receivable.status) == (D("1200.00"), ReceivableStatus.SETTLED)
    assert [(c["amount"], c["collected_on"]) for c in receivable.collections] == [
        ("500.00", "2026-11-02"),
        ("700.00", "2026-11-10"),
    ]
    with pytest.raises(Conflict) as refused:
        record(actor=caseworker, receivable=receivable, amount="1.00",
               collected_on=date(2026, 11, 10), today=TODAY)  # fmt: skip
    assert refused.value.code == "receivable_not_open"


def test_a_receivable_is_written_off_by_a_second_person(staff, income):
    # a receivable written directly: 1500.00, 400.00 collected → 1500.00 − 400.00 =
    # 1100.00 still owed, written off
    person, _determination = retiree(
        staff, balance="8000.00", actual=120, deemed=60, paid_through="2026-10", name="赵遗属"
    )
    receivable = Receivable.objects.create(
        person=person, reason="Pension paid after death", amount=D("1500.00"),
        collected=D("400.00"),
    )  # fmt: skip
    request = survivors.receivable_write_off_request(
        actor=staff["caseworker"], receivable=receivable, reason="家属无力偿还，经核实核销"
    )
    assert (request.amount, request.payload["outstanding"]) == (D("1100.00"), "1100.00")
    with pytest.raises(Conflict) as refused:
        survivors.receivable_write_off_request(
            actor=staff["caseworker"], receivable=receivable, reason="again"
        )
    assert refused.value.code == "write_off_pending"
    with pytest.raises(NotPermitted) as refused:
        approval_request_approve(actor=staff["caseworker"], request_id=request.pk)
    assert refused.value.code == "self_approval"
    receivable.refresh_from_db()
    assert receivable.status == ReceivableStatus.OPEN
    approval_request_approve(actor=staff["reviewer"], request_id=request.pk)
    receivable.refresh_from_db()
    assert receivable.status == ReceivableStatus.WRITTEN_OFF
    assert receivable.details["write_off"]["amount"] == "1100.00"


def contribute(person, first: str, last: str) -> None:
    """Paid months of a flexible worker at 5000.00 (20 % = 1000.00, 8 % = 400.00)."""
    assessed_months(person, first, last, "5000.00")


def test_an_insured_persons_claim_pays_the_account_outside_the_payroll(staff, income, client):
    # insured, not retired; died 2026-03-10: no determination, no overpayment
    # contribution months 2009-01 .. 2025-08 = 16 × 12 + 8 = 200, none deemed:
    #   9 + (200 − 180) // 12 = 9 + 1 = 10 months → 10 × 3000.00 = 30000.00
    # funeral 2 × 3000.00 = 6000.00
    # account: 12000.00 from 2026-01; interest 2026 to March at 3 % (a test value),
    #   monthly product, January to March = 3 months: 12000 × 0.03 × 3 ÷ 12 = 90.00;
    #   balance to the heirs 12000.00 + 90.00 = 12090.00
    # net = 6000.00 + 30000.00 + 12090.00 = 48090.00 (≤ 50000.00: a county reviewer)
    PolicyParameter.objects.create(
        key="accounts.interest_rate", effective_from=date(2026, 1, 1), value="0.03",
        reference_year=2026, source="test",
    )  # fmt: skip
    person = make_person(staff["caseworker"].agency, born=date(1975, 6, 1), name="钱参保")
    contribute(person, "2009-01", "2025-08")
    account = account_with(person, [("migrated_balance", "2026-01", "12000.00")])
    request = claim_for(person, staff["caseworker"], death_date=date(2026, 3, 10))
    payload = request.payload
    assert (
        payload["contribution_months"],
        payload["pension_months"],
        payload["survivors_pension"],
        payload["funeral_grant"],
        payload["interest"],
        payload["heirs_balance"],
        payload["overpayment"],
        payload["net_payable"],
    ) == (200, 10, "30000.00", "6000.00", "90.00", "12090.00", "0.00", "48090.00")
    assert AccountEntry.objects.filter(account=account).count() == 1  # nothing posted yet
    shown = operation_for(survivors.SURVIVOR_CLAIM).show(
        "interest_lines", payload["interest_lines"]
    )
    assert shown == "2026: 3 months at 0.03 → 90.00"
    approval_request_approve(actor=staff["reviewer"], request_id=request.pk)
    person.refresh_from_db()
    assert person.status == PersonStatus.DECEASED
    claim = SurvivorClaim.objects.get(person=person)
    assert (claim.determination_id, claim.heirs_balance, claim.net_payable) == (
        None,
        D("12090.00"),
        D("48090.00"),
    )
    assert claim.inputs["paid_by_instruction"] is True
    assert not PayrollDue.objects.filter(person=person).exists()
    # the net payable 48 090.00 is a payment instruction to the claimant, open for the
    # next payroll run
    instruction = PaymentInstruction.objects.get(source=f"survivor_claim:{claim.pk}")
    assert (
        instruction.purpose, instruction.amount, instruction.payee_name,
        instruction.bank_account, instruction.status, instruction.object_id,
    ) == (
        "survivor_benefit", D("48090.00"), claim.claimant_name, claim.bank_account, "open",
        person.pk,
    )  # fmt: skip
    assert not Receivable.objects.exists()
    account = PensionAccount.objects.get(pk=account.pk)
    assert account.status == AccountStatus.CLOSED
    entries = sorted(
        AccountEntry.objects.filter(account=account).values_list("kind", "amount"),
        key=lambda e: e[1],
    )
    assert entries == [
        (EntryKind.SETTLEMENT, D("-12090.00")),
        (EntryKind.INTEREST, D("90.00")),
        (EntryKind.MIGRATED_BALANCE, D("12000.00")),
    ]
    client.force_login(staff["caseworker"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(reverse("benefits:survivor_claim_detail", args=[claim.pk])).content.decode()
    assert (
        "Account balance to the heirs = the balance 12000.00 + interest to 2026-03 90.00 = "
        "12090.00."
    ) in page
    assert 'id="outside-payroll"' in page


def test_refusals_write_nothing(zhang, staff):
    caseworker = staff["caseworker"]
    cases = [
        ({"death_date": date(2026, 11, 21)}, InvalidInput, "death_in_future"),
        ({"death_date": date(2020, 5, 1)}, InvalidInput, "death_before_retirement"),
        ({"claimant_id_number": "140105196207010241"}, InvalidInput, "claimant_id_invalid"),
        ({"claimant_id_number": zhang.id_number}, InvalidInput, "claimant_is_deceased"),
        ({"bank_account": "  "}, InvalidInput, "bank_required"),
        ({"relationship": ""}, InvalidInput, "relationship_required"),
        ({"reason": " "}, InvalidInput, "reason_required"),
    ]
    if claimant_id()[-1] == "1":  # the made-up number above must be wrong
        cases.pop(2)
    for kwargs, error, code in cases:
        with pytest.raises(error) as refused:
            claim_for(zhang, caseworker, **kwargs)
        assert refused.value.code == code, kwargs
    assert not ApprovalRequest.objects.filter(operation=survivors.SURVIVOR_CLAIM).exists()
    first = claim_for(zhang, caseworker)
    with pytest.raises(Conflict) as refused:
        claim_for(zhang, caseworker)
    assert refused.value.code == "claim_pending"
    assert str(refused.value) == (
        f"A survivors' claim for 张遗属 is already waiting for a reviewer (#{first.pk})."
    )


def test_the_figures_are_checked_again_at_approval(zhang, staff):
    request = claim_for(zhang, staff["caseworker"])
    # another month is paid after the request: 3 × 3200.00 = 9600.00 overpaid now
    determination = PensionDetermination.objects.get(person=zhang)
    paid(determination, "2026-11", "3200.00")
    with pytest.raises(Conflict) as refused:
        approval_request_approve(actor=staff["city_reviewer"], request_id=request.pk)
    assert refused.value.code == "figures_changed"
    assert not SurvivorClaim.objects.exists()
    zhang.refresh_from_db()
    assert zhang.status == PersonStatus.RETIRED  # rolled back with the approval
    assert ApprovalRequest.objects.get(pk=request.pk).status == ApprovalStatus.PENDING


def test_the_pages(zhang, staff, client):
    client.force_login(staff["caseworker"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    url = reverse("benefits:survivor_claim", args=[zhang.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert "张遗属" in page.content.decode()
    # a bad ID number is shown on its field
    answer = client.post(url, {"death_date": "2026-08-15", "claimant_name": "张家属",
                               "claimant_id_number": "123", "relationship": "配偶",
                               "bank_name": "银行", "bank_account": "1", "reason": "x",
                               "attachment": proof()})  # fmt: skip
    assert answer.status_code == 200
    content = answer.content.decode()
    assert 'data-field="claimant_id_number"' in content
    assert (
        "The claimant&#x27;s citizen ID number is not valid: The citizen ID number must have "
        "18 characters; it has 3."
    ) in content
    assert not ApprovalRequest.objects.filter(operation=survivors.SURVIVOR_CLAIM).exists()

    answer = client.post(
        url,
        {
            "death_date": "2026-08-15",
            "claimant_name": "张家属",
            "claimant_id_number": claimant_id(),
            "relationship": "配偶",
            "bank_name": "中国工商银行",
            "bank_account": "6222020200112233445",
            "reason": "家属申领",
            "attachment": proof(),
        },
        follow=True,
    )
    request = ApprovalRequest.objects.get(operation=survivors.SURVIVOR_CLAIM)
    assert answer.redirect_chain[-1][0] == reverse("approval_detail", args=[request.pk])
    html = answer.content.decode()
    assert f"Request #{request.pk} is waiting for a reviewer" in html
    # the work queue shows the figures of the request, the calculation in words
    assert "Survivors&#x27; pension: 360 contribution months give 24 months" in html
    approval_request_approve(actor=staff["city_reviewer"], request_id=request.pk)
    claim = SurvivorClaim.objects.get(person=zhang)
    detail = client.get(reverse("benefits:survivor_claim_detail", args=[claim.pk])).content.decode()
    assert "Funeral grant = 2 × 3000.00 = 6000.00." in detail
    assert "Net payable = 6000.00 + 72000.00 + 51200.00 − 6400.00 = 122800.00." in detail
    assert 'id="net-payable">122,800.00<' in detail

    # the receivables: scoped to the region; the collection form records
    receivable = Receivable.objects.create(
        person=zhang, claim=claim, reason="Pension paid after death", amount=D("300.00")
    )
    listing = client.get(reverse("benefits:receivable_list")).content.decode()
    assert reverse("benefits:receivable_detail", args=[receivable.pk]) in listing
    # the FilterSet: an open receivable under "open", not under "settled"
    url = reverse("benefits:receivable_list")
    detail_url = reverse("benefits:receivable_detail", args=[receivable.pk])
    assert detail_url in client.get(url, {"status": "open"}).content.decode()
    assert detail_url not in client.get(url, {"status": "settled"}).content.decode()
    client.force_login(staff["other_caseworker"])
    listing = client.get(reverse("benefits:receivable_list")).content.decode()
    assert reverse("benefits:receivable_detail", args=[receivable.pk]) not in listing
    assert (
        client.get(reverse("benefits:receivable_detail", args=[receivable.pk])).status_code == 403
    )
    client.force_login(staff["caseworker"])
    detail_url = reverse("benefits:receivable_detail", args=[receivable.pk])
    answer = client.post(detail_url, {"amount": "300.01", "collected_on": "2026-11-01", "note": ""})
    assert answer.status_code == 200
    assert "300.01 is more than the 300.00 still owed" in answer.content.decode()
    answer = client.post(
        detail_url, {"amount": "300.00", "collected_on": "2026-11-01", "note": "退回"}
    )
    assert answer.status_code == 302
    receivable.refresh_from_db()
    assert (receivable.collected, receivable.status) == (D("300.00"), ReceivableStatus.SETTLED)


def test_no_disposable_income_of_the_year_refuses_the_claim(staff):
    # the demo data has no survivors.disposable_income: the claim cannot be computed
    person, _determination = retiree(
        staff, balance="8000.00", actual=120, deemed=60, paid_through="2026-10", name="孙遗属"
    )
    with pytest.raises(InvalidInput) as refused:
        claim_for(person, staff["caseworker"])
    assert refused.value.code == "parameter_missing"
    assert "survivors.disposable_income" in str(refused.value)
    assert not ApprovalRequest.objects.filter(operation=survivors.SURVIVOR_CLAIM).exists()


def test_a_death_recorded_before_the_claim(zhang, staff):
    # the death known from a data match first: stopped from 2026-09; a claim on another
    # date is refused, on the same date the overpayment is the same 2 × 3200.00 = 6400.00
    from benefits.suspension.suspensions import record_death

    record_death(
        actor=staff["caseworker"], person=zhang, death_date=date(2026, 8, 15),
        source="data_match:1", reason="比对死亡", today=TODAY,
    )  # fmt: skip
    with pytest.raises(Conflict) as refused:
        claim_for(zhang, staff["caseworker"], death_date=date(2026, 7, 30))
    assert refused.value.code == "death_recorded_differently"
    request = claim_for(zhang, staff["caseworker"])
    assert (request.payload["overpayment"], request.payload["net_payable"]) == (
        "6400.00",
        "122800.00",
    )
    approval_request_approve(actor=staff["city_reviewer"], request_id=request.pk)
    assert SurvivorClaim.objects.get(person=zhang).recovered == D("6400.00")


def test_an_older_years_income_does_not_stand_in_for_the_year_before_the_death(staff):
    # only the 2024 income (in force from 2025) is on record: a death in 2026 needs
    # 2025's, and the claim is refused naming it rather than computed on 2024's
    shanxi = PolicyProfile.objects.get(code="shanxi")
    PolicyParameter.objects.create(
        key="survivors.disposable_income", profile=shanxi, effective_from=date(2025, 1, 1),
        value="2800.00", reference_year=2024, source="test",
    )  # fmt: skip
    person, _determination = retiree(
        staff, balance="8000.00", actual=120, deemed=60, paid_through="2026-10", name="钱遗属"
    )
    with pytest.raises(InvalidInput) as refused:
        claim_for(person, staff["caseworker"])  # died 2026-08-15
    assert refused.value.code == "parameter_missing"
    assert str(refused.value) == (
        "The survivors' benefits cannot be computed: the urban per-capita disposable income "
        "of 2025 (survivors.disposable_income) is not on record; the latest on record is of "
        "2024."
    )
    assert not ApprovalRequest.objects.filter(operation=survivors.SURVIVOR_CLAIM).exists()
    # a death in 2025 uses it: not refused for the year
    survivors.survivor_claim_figures(person, date(2025, 12, 20))
