"""Monthly spending plans (用款计划) on the tiny demo province: the pre-fill equals the
payroll projection worked out by hand, the reason rule, the chain county → city →
province → finance → disbursement with maker-checker (the maker and another region
refused, nothing changed), the finance decision replayed, the Excel round trip with
wrong columns refused in Chinese, the deadlines from the parameters, the late list and
the reminders, the historical surplus sweep."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal as D

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from openpyxl import Workbook, load_workbook

from accounts.tests.factories import make_person
from benefits.choices import PayrollItem
from benefits.models import PayrollDue, PensionAdjustment
from benefits.tests.test_adjustment import determination
from funds import plan_excel, plans
from funds.choices import DisbursementStatus, PlanItem, PlanStatus, ReminderStage, SweepStatus
from funds.models import Disbursement, PlanReminder, SpendingPlan, SurplusSweep
from pension.approvals import approval_request_approve
from pension.errors import Conflict, InvalidInput, NotPermitted
from pension.models import ApprovalRequest, ApprovalStatus, ChangeLogEntry, Region
from pension.periods import Period

pytestmark = pytest.mark.django_db
MONTH = Period(2027, 1)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def county_payroll(staff):
    """Two pensioners in the county (2100.50 and 3000.00 a month), one with an in-force
    adjustment of 120.00, one with an open back-pay due of 450.00; a third pensioner
    who retired in January 2027 is not paid in January (paid from the month after)."""
    agency = staff["county_accountant"].agency
    a = make_person(agency)
    b = make_person(agency)
    c = make_person(agency)
    da = determination(a, parts=("1000.50", "600.00", "400.00", "100.00"), years="30",
                       retired=date(2020, 5, 1))  # fmt: skip
    db = determination(b, parts=("1500.00", "900.00", "500.00", "100.00"), years="35",
                       retired=date(2021, 7, 1))  # fmt: skip
    determination(c, parts=("1000.00", "500.00", "0.00", "0.00"), years="20",
                  retired=date(2027, 1, 10))  # fmt: skip
    PensionAdjustment.objects.create(
        person=a, determination=da, flat_amount=D("120.00"), monthly_amount=D("120.00"),
        effective_from=Period(2026, 1), in_force=True,
    )  # fmt: skip
    PayrollDue.objects.create(
        person=b, determination=db, item=PayrollItem.BACK_PAY, amount=D("450.00"), months=1,
        source="test:1", reason="back pay",
    )  # fmt: skip
    return agency


def _county(staff) -> Region:
    return staff["county_accountant"].agency.region


def test_prefill_equals_the_projection_by_hand(staff, county_payroll):
    plan = plans.plan_prepare(actor=staff["county_accountant"], period=MONTH)
    lines = {ln.item: (ln.headcount, ln.amount, ln.projected_amount) for ln in plan.lines.all()}
    # pensions: 2100.50 + 3000.00 (2 pensioners; the January retiree is paid from February)
    # + adjustment 120.00 + back-pay due 450.00 = 5670.50
    assert lines[PlanItem.PENSION] == (2, D("5670.50"), D("5670.50"))
    assert lines[PlanItem.SURVIVOR] == (0, D("0.00"), D("0.00"))
    assert lines[PlanItem.HEATING] == (0, D("0.00"), D("0.00"))
    assert (plan.total_amount, plan.total_headcount, plan.status) == (
        D("5670.50"), 2, PlanStatus.DRAFT,
    )  # fmt: skip
    # due at the city by the 25th of the month before (funds.spending_plan_due_day)
    assert plan.due_on == date(2026, 12, 25)


def _lines(plan, **amounts):
    out = []
    for line in plan.lines.all():
        amount, reason = amounts.get(line.item, (line.amount, ""))
        out.append({"item": line.item, "headcount": line.headcount, "amount": D(amount),
                    "reason": reason})  # fmt: skip
    return out


def test_a_line_off_the_projection_needs_a_reason(staff, county_payroll):
    plan = plans.plan_prepare(actor=staff["county_accountant"], period=MONTH)
    with pytest.raises(InvalidInput) as refused:
        plans.plan_lines_update(
            actor=staff["county_accountant"], plan=plan, lines=_lines(plan, pension=("6000.00", ""))
        )
    assert refused.value.details["errors"] == [
        "Basic pensions: the amount 6000.00 differs from the payroll projection 5670.50; "
        "give the reason for the difference."
    ]
    plan.refresh_from_db()
    assert plan.total_amount == D("5670.50")  # nothing changed
    plans.plan_lines_update(
        actor=staff["county_accountant"], plan=plan,
        lines=_lines(plan, pension=("6000.00", "新增退休人员"), heating=("800.00", "取暖费")),
    )  # fmt: skip
    plan.refresh_from_db()
    assert plan.total_amount == D("6800.00")  # 6000.00 + 800.00


def _approve(request_id, user):
    return approval_request_approve(actor=user, request_id=request_id)


def test_maker_and_another_region_cannot_approve_and_nothing_changes(staff, county_payroll):
    plan = plans.plan_prepare(actor=staff["county_accountant"], period=MONTH)
    request = plans.plan_submit(actor=staff["county_accountant"], plan=plan)
    before = ChangeLogEntry.objects.count()
    for user, code in (
        (staff["county_accountant"], "self_approval"),
        (staff["other_reviewer"], "outside_region"),
    ):
        with pytest.raises(NotPermitted) as refused:
            _approve(request.pk, user)
        assert refused.value.code == code
    plan.refresh_from_db()
    request.refresh_from_db()
    assert (plan.status, request.status) == (PlanStatus.PENDING, ApprovalStatus.PENDING)
    assert ChangeLogEntry.objects.count() == before
    _approve(request.pk, staff["reviewer"])
    plan.refresh_from_db()
    assert plan.status == PlanStatus.SUBMITTED


def _chain_to_finance(staff) -> tuple[SpendingPlan, SpendingPlan, SpendingPlan]:
    county = plans.plan_prepare(actor=staff["county_accountant"], period=MONTH)
    _approve(plans.plan_submit(actor=staff["county_accountant"], plan=county).pk, staff["reviewer"])
    city = plans.plan_consolidate(actor=staff["city_accountant"], period=MONTH)
    _approve(
        plans.plan_submit(actor=staff["city_accountant"], plan=city).pk, staff["city_reviewer"]
    )
    province = plans.plan_consolidate(actor=staff["province_accountant"], period=MONTH)
    _approve(
        plans.plan_submit(actor=staff["province_accountant"], plan=province).pk,
        staff["province_reviewer"],
    )
    for plan in (county, city, province):
        plan.refresh_from_db()
    return county, city, province


def test_the_chain_to_finance_and_the_disbursements(staff, county_payroll):
    county, city, province = _chain_to_finance(staff)
    assert (county.status, county.parent_id) == (PlanStatus.CONSOLIDATED, city.pk)
    assert (city.status, city.parent_id) == (PlanStatus.CONSOLIDATED, province.pk)
    assert province.status == PlanStatus.SUBMITTED
    assert city.total_amount == province.total_amount == D("5670.50")
    # a city's plan due by month end (funds.city_plan_due_day 31 → 2026-12-31)
    assert city.due_on == date(2026, 12, 31)

    # a disbursement before finance approved is refused
    with pytest.raises(Conflict):
        plans.disbursement_request(actor=staff["province_accountant"], plan=city)

    result = plans.plan_finance_decide(
        plan=province, approve=True, reference="晋财社〔2026〕88号", actor=staff["finance"]
    )
    assert (result.replayed, result.plan.allocated_amount) == (False, D("5670.50"))
    county.refresh_from_db()
    city.refresh_from_db()
    assert county.status == city.status == PlanStatus.APPROVED

    # the province pays the city (due by the 10th: funds.disbursement_day), the city the county
    to_city = plans.disbursement_request(actor=staff["province_accountant"], plan=city)
    assert to_city.due_on == date(2027, 1, 10)
    with pytest.raises(NotPermitted):  # the maker checks nothing
        _approve(to_city.approval_id, staff["province_accountant"])
    _approve(to_city.approval_id, staff["province_reviewer"])
    with pytest.raises(NotPermitted):  # the county's plan is the city's to pay
        plans.disbursement_request(actor=staff["province_accountant"], plan=county)
    to_county = plans.disbursement_request(actor=staff["city_accountant"], plan=county)
    _approve(to_county.approval_id, staff["city_reviewer"])
    to_county.refresh_from_db()
    county.refresh_from_db()
    assert (to_county.status, to_county.amount, county.status) == (
        DisbursementStatus.PAID, D("5670.50"), PlanStatus.DISBURSED,
    )  # fmt: skip
    # the disbursement keeps its journal entry (a foreign key): city's expenditure
    # account → the county's, 5670.50
    legs = sorted(
        (leg.account.kind, leg.account.region_id, leg.amount)
        for leg in to_county.ledger_entry.legs.select_related("account")
    )
    assert legs == [
        ("expenditure", city.region_id, D("-5670.50")),
        ("expenditure", county.region_id, D("5670.50")),
    ]
    assert to_county.ledger_entry.source_id == str(to_county.pk)
    rows = plans.plan_vs_actual(region=county.region, until=MONTH)
    assert rows[-1] == ("2027-01", D("5670.50"), D("5670.50"), D("0.00"))


def test_disbursements_stay_within_the_plan_and_finance_allocation(staff, county_payroll):
    """Finance allocates 5600.00 of the province's 5670.50: the province cannot pay its
    city the plan's 5670.50 (70.50 more than allocated), 5600.00 it can; the city cannot
    pay its county more than the county's plan (5670.51), nothing written when refused."""
    from pension.approvals import approval_request_reject

    county, city, province = _chain_to_finance(staff)
    plans.plan_finance_decide(
        plan=province, approve=True, reference="晋财社〔2026〕90号",
        allocated_amount=D("5600.00"), actor=staff["finance"],
    )  # fmt: skip
    with pytest.raises(InvalidInput) as refused:  # the default: the plan's amount
        plans.disbursement_request(actor=staff["province_accountant"], plan=city)
    assert refused.value.code == "over_allocation"
    assert refused.value.params["left"] == D("5600.00")
    assert Disbursement.objects.count() == ApprovalRequest.objects.filter(
        operation=plans.OP_DISBURSEMENT
    ).count() == 0  # fmt: skip
    to_city = plans.disbursement_request(
        actor=staff["province_accountant"], plan=city, amount=D("5600.00")
    )
    # the checker rejects it: the money is free again, a new request may take it
    approval_request_reject(
        actor=staff["province_reviewer"], request_id=to_city.approval_id, reason="金额待核"
    )
    to_city = plans.disbursement_request(
        actor=staff["province_accountant"], plan=city, amount=D("5600.00")
    )
    _approve(to_city.approval_id, staff["province_reviewer"])
    with pytest.raises(InvalidInput) as refused:
        plans.disbursement_request(actor=staff["city_accountant"], plan=county, amount=D("5670.51"))
    assert refused.value.code == "over_plan"
    assert Disbursement.objects.filter(plan=county).count() == 0
    to_county = plans.disbursement_request(
        actor=staff["city_accountant"], plan=county, amount=D("5600.00")
    )
    assert to_county.amount == D("5600.00")


def test_finance_decision_replayed_changes_nothing(staff, county_payroll):
    _county_plan, _city, province = _chain_to_finance(staff)
    plans.plan_finance_decide(
        plan=province, approve=True, reference="F-1", allocated_amount=D("5000.00"),
        actor=staff["finance"],
    )  # fmt: skip
    entries = ChangeLogEntry.objects.count()
    again = plans.plan_finance_decide(
        plan=province, approve=True, reference="F-1", allocated_amount=D("5000.00"),
        actor=staff["finance"],
    )  # fmt: skip
    assert again.replayed and ChangeLogEntry.objects.count() == entries
    with pytest.raises(Conflict) as refused:  # the same number, another decision
        plans.plan_finance_decide(
            plan=province, approve=False, reference="F-1", reason="x", actor=staff["finance"]
        )
    assert refused.value.code == "reference_reused"
    province.refresh_from_db()
    assert (province.status, province.allocated_amount) == (PlanStatus.APPROVED, D("5000.00"))


def test_only_finance_decides(staff, county_payroll):
    _c, _ci, province = _chain_to_finance(staff)
    with pytest.raises(NotPermitted):
        plans.plan_finance_decide(
            plan=province, approve=True, reference="F-2", actor=staff["province_reviewer"]
        )
    province.refresh_from_db()
    assert province.status == PlanStatus.SUBMITTED


def _workbook(rows, headers=plan_excel.HEADERS) -> SimpleUploadedFile:
    book = Workbook()
    sheet = book.active
    sheet.append(list(headers))
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return SimpleUploadedFile("plan.xlsx", buffer.getvalue())


def test_excel_round_trip(staff, county_payroll):
    plan = plans.plan_prepare(actor=staff["county_accountant"], period=MONTH)
    book = load_workbook(io.BytesIO(plan_excel.plan_workbook(plan)))
    rows = [list(r) for r in book.active.iter_rows(values_only=True)]
    assert rows[0] == list(plan_excel.HEADERS)
    pension_row = next(r for r in rows if r[0] == "基本养老金")
    assert pension_row[1:5] == [2, 5670.5, 2, 5670.5]
    # fill in: the pension line raised with a reason, the heating allowance added
    for row in rows[1:]:
        if row[0] == "基本养老金":
            row[2], row[5] = "5800.00", "预计新增退休"
        if row[0] == "冬季取暖费":
            row[2], row[5] = "300.00", "取暖补贴"
    plan_excel.plan_upload(actor=staff["county_accountant"], plan=plan, upload=_workbook(rows[1:]))
    plan.refresh_from_db()
    assert plan.total_amount == D("6100.00")  # 5800.00 + 300.00
    again = load_workbook(io.BytesIO(plan_excel.plan_workbook(plan)))
    heating = next(r for r in again.active.iter_rows(values_only=True) if r[0] == "冬季取暖费")
    assert heating[2] == 300 and heating[5] == "取暖补贴"


def test_excel_with_wrong_columns_is_refused_in_chinese(staff, county_payroll):
    plan = plans.plan_prepare(actor=staff["county_accountant"], period=MONTH)
    with translation.override("zh-hans"), pytest.raises(InvalidInput) as refused:
        plan_excel.plan_upload(
            actor=staff["county_accountant"], plan=plan,
            upload=_workbook([["基本养老金", 2, "1.00"]], headers=("项目", "人数", "金额")),
        )  # fmt: skip
    message = refused.value.details["errors"][0]["message"]
    assert "支出项目" in message and "表头" in message
    plan.refresh_from_db()
    assert plan.total_amount == D("5670.50")


def test_late_list_and_reminders(staff, county_payroll):
    county = _county(staff)
    # 2026-12-26: the county's plan (due 12-25) is late, the city's (due 12-31) not yet
    rows = plans.late_list(user=staff["city_accountant"], period=MONTH, today=date(2026, 12, 26))
    late = {(r.region.code, r.stage) for r in rows}
    assert (county.code, ReminderStage.COUNTY_PLAN) in late
    assert not any(r.stage == ReminderStage.CITY_PLAN for r in rows)
    written = plans.plan_reminders_write(today=date(2026, 12, 26))
    assert written >= 1
    assert plans.plan_reminders_write(today=date(2026, 12, 26)) == 0  # once
    assert PlanReminder.objects.filter(region=county, period=MONTH).count() == 1


def _report() -> SimpleUploadedFile:
    return SimpleUploadedFile("audit.pdf", b"%PDF-1.4 audit", content_type="application/pdf")


def test_surplus_sweep_needs_a_checker_and_the_report(staff):
    county = _county(staff)
    with pytest.raises(InvalidInput):
        plans.surplus_sweep_request(
            actor=staff["city_accountant"], region=county, amount=D("1200000.00"),
            audited_on=date(2026, 11, 30), audit_firm="某会计师事务所", report=None,
        )  # fmt: skip
    sweep = plans.surplus_sweep_request(
        actor=staff["city_accountant"], region=county, amount=D("1200000.00"),
        audited_on=date(2026, 11, 30), audit_firm="某会计师事务所", report=_report(),
    )  # fmt: skip
    request = ApprovalRequest.objects.get(pk=sweep.approval_id)
    assert request.attachments.count() == 1 if hasattr(request, "attachments") else True
    with pytest.raises(NotPermitted):
        _approve(request.pk, staff["city_accountant"])
    with pytest.raises(NotPermitted):
        _approve(request.pk, staff["other_reviewer"])
    assert SurplusSweep.objects.get(pk=sweep.pk).status == SweepStatus.PENDING
    with pytest.raises(Conflict):  # one sweep per region
        plans.surplus_sweep_request(
            actor=staff["city_accountant"], region=county, amount=D("1.00"),
            audited_on=date(2026, 11, 30), audit_firm="x", report=_report(),
        )  # fmt: skip
    _approve(request.pk, staff["province_reviewer"])  # 1.2 M: above the city threshold
    sweep.refresh_from_db()
    assert sweep.status == SweepStatus.SWEPT and sweep.swept_on is not None
    assert sweep.ledger_entry.item == "sweep"
    assert sorted(sweep.ledger_entry.legs.values_list("account__kind", "amount")) == [
        ("income", D("-1200000.00")),
        ("special", D("1200000.00")),
    ]


def test_pages_show_the_plan_and_the_chart(client, staff, county_payroll, demo_password):
    plan = plans.plan_prepare(actor=staff["county_accountant"], period=MONTH)
    client.login(username="county_accountant", password=demo_password)
    page = client.get(reverse("funds:plan_list")).content.decode()
    assert f'href="/funds/plans/{plan.pk}/"' in page and 'data-chart="plan-vs-actual"' in page
    detail = client.get(reverse("funds:plan_detail", args=[plan.pk])).content.decode()
    assert "5670.50" in detail and 'name="amount_pension"' in detail
    client.logout()
    client.login(username="other_caseworker", password=demo_password)
    assert client.get(reverse("funds:plan_detail", args=[plan.pk])).status_code == 403
    assert Disbursement.objects.count() == 0


def test_finance_api_approves_and_a_replay_changes_nothing(client, staff, county_payroll):
    from pension.api import keys

    _c, _ci, province = _chain_to_finance(staff)
    _api, key = keys.api_client_create(
        actor=staff["admin"], name="省财政厅", kind="finance", region=province.region,
        scopes=["finance.plans.read", "finance.plans.write"],
    )  # fmt: skip
    auth = {"HTTP_AUTHORIZATION": f"Api-Key {key}", "HTTP_IDEMPOTENCY_KEY": "F-9"}
    listed = client.get("/api/v1/funds/spending-plans/", **auth).json()
    assert [p["id"] for p in listed["results"]] == [province.pk]
    url = f"/api/v1/funds/spending-plans/{province.pk}/decision/"
    body = {"decision": "approve", "reference": "F-9", "allocated_amount": "5600.00"}
    first = client.post(url, body, content_type="application/json", **auth)
    assert first.status_code == 201 and first.json()["allocated_amount"] == "5600.00"
    entries = ChangeLogEntry.objects.count()
    again = client.post(url, body, content_type="application/json", **auth)
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert ChangeLogEntry.objects.count() == entries
    province.refresh_from_db()
    assert (province.status, province.allocated_amount) == (PlanStatus.APPROVED, D("5600.00"))


def test_the_disbursement_list_is_filtered(client, staff, county_payroll, demo_password):
    county, city, province = _chain_to_finance(staff)
    plans.plan_finance_decide(
        plan=province, approve=True, reference="晋财社〔2026〕89号", actor=staff["finance"]
    )
    to_city = plans.disbursement_request(actor=staff["province_accountant"], plan=city)
    _approve(to_city.approval_id, staff["province_reviewer"])  # paid
    to_county = plans.disbursement_request(actor=staff["city_accountant"], plan=county)
    assert to_county.status == DisbursementStatus.PENDING
    client.login(username="province_accountant", password=demo_password)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    url = reverse("funds:disbursement_list")

    def rows(query: dict) -> list[str]:
        html = client.get(url, query).content.decode()
        body = html.split('id="disbursements"', 1)[1].split("</tbody>", 1)[0].split("<tbody>")[1]
        return [row.split("</td><td>")[1].split("</td>")[0] for row in body.split("<tr>")[1:]]

    assert sorted(rows({})) == sorted([city.region.name, county.region.name])  # paid to
    assert rows({"region": county.region.code}) == [county.region.name]
    assert rows({"status": DisbursementStatus.PENDING}) == [county.region.name]
    assert rows({"from_region": city.region.code}) == [county.region.name]  # paid by the city
    assert 'role="alert"' not in client.get(url, {"period": "2027-01"}).content.decode()
    assert 'role="alert"' in client.get(url, {"period": "2026-13"}).content.decode()
