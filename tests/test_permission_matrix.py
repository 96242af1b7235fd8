"""The permission matrix (DESIGN §2.4, STYLE.md point 10): every page and endpoint
against anonymous, wrong role, wrong region and right role, asserting the refusal and
that nothing changed. Every URL pattern of the project must be classified here;
``test_every_route_is_in_the_matrix`` fails when a new one is not."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from pension import approvals
from pension.models import ApprovalRequest, ApprovalStatus, ChangeLogEntry

pytestmark = pytest.mark.django_db

# Routes and how they are guarded. Adding a page or endpoint means adding it here.
PUBLIC = {"login/", "logout/", "healthz", "i18n/setlang/"}
SIGNED_IN = {"", "approvals/"}  # any staff role; content scoped by region
# an import on the worker: only its own user's (pension/tests/test_import_jobs.py)
OWN_ONLY = {"imports/<int:pk>/", "imports/<int:pk>/progress"}
# signed in with the password, before the second factor (pension/tests/test_sign_in_security.py)
SECOND_FACTOR = {"second-factor/enrol/", "second-factor/verify/"}
ROLE_SECTIONS = {
    "enrollment/",
    "contributions/",
    "pension-accounts/",
    "benefits/",
    "funds/",
    "budget/",
    "audit/",
    # the change-log browser: the audit section's roles, entries by the agency's region
    # (audit/tests/test_change_log_browser.py: wrong role 403, another county 404)
    "audit/change-log/",
    "audit/alerts/",
    "audit/inspections/",
    # data-quality checks and internal-control reports: the audit section's roles, counts
    # and requests by region (audit/tests/test_data_quality.py, test_controls.py)
    "audit/data-quality/",
    "audit/controls/",
    # the statistics ledger, its Excel and the analysis report: the audit section's roles,
    # figures by region (audit/tests/test_statistics.py)
    "audit/statistics/",
    "audit/statistics/export",
    "audit/statistics/analysis/",
    # the acceptance checklist and its print view: the audit section's roles, the user's
    # region or one below it (another region 404; audit/tests/test_checklist.py)
    "audit/checklist/",
    "audit/checklist/print",
    "audit/checklist/pdf",
}  # guarded by navigation.SECTIONS, tested in pension/tests/test_pages.py
REGION_SCOPED = {
    # an item's assessment and evidence: auditors of the region (others refused, another
    # region 404; audit/tests/test_checklist.py)
    "audit/checklist/<int:item>/assess",
    "audit/checklist/<int:item>/evidence",
    "audit/change-log/<int:pk>/",
    # alerts and inspections: the audit section's roles, rows by region (404 outside);
    # tested in audit/tests/test_alert_pages.py
    "audit/alerts/<int:pk>/",
    "audit/alerts/<int:pk>/assign",
    "audit/alerts/<int:pk>/explain",
    "audit/alerts/<int:pk>/close",
    "audit/alerts/<int:pk>/inspect",
    "audit/inspections/<int:pk>/",
    "audit/inspections/<int:pk>/close",
    "audit/findings/<int:pk>/refer",
    # a run of the region, above or below it; its counts only within the reader's region
    # (audit/tests/test_data_quality.py)
    "audit/data-quality/<int:pk>/",
    # run now (POST): the audit section's roles in their region, the ledger's for the
    # province's audit staff; refused while a run of the kind is running
    # (audit/tests/test_run_now.py: wrong role 403, a second click refused)
    "audit/alerts/scan",
    "audit/data-quality/run",
    "audit/statistics/take",
    "approvals/<int:pk>/",
    "approvals/<int:pk>/approve",
    "approvals/<int:pk>/reject",
    "approvals/<int:pk>/withdraw",
    "approvals/<int:pk>/attachments",
    "enrollment/employers/<int:pk>/roster/import/",
    "enrollment/employers/<int:pk>/roster/export/",
}
PREFIXES = {
    "admin/": "Django admin: staff flag (province administrators)",
    "api/v1/": "REST: authenticated; each domain endpoint adds its scope",
    "static/": "static files",
    "media/": "uploads are never served directly",
}
# registration: the section's roles; employers by region, people province-wide (异地通办)
ENROLLMENT = {
    "enrollment/people/",
    "enrollment/people/new/",
    "enrollment/people/<int:pk>/",
    "enrollment/people/<int:pk>/contact/",
    "enrollment/people/<int:pk>/key-data/",
    # the bank account (§6.2.2.3): the owning region only (enrollment/tests/
    # test_bank_account.py tests the other county's refusal)
    "enrollment/people/<int:pk>/bank-account/",
    # a flexible worker stops or resumes contributing: the owning region only
    # (enrollment/tests/test_flexible.py: anonymous, wrong role, other county)
    "enrollment/people/<int:pk>/flexible/<str:action>",
    "enrollment/employers/",
    "enrollment/employers/new/",
    "enrollment/employers/<int:pk>/",
    "enrollment/employers/<int:pk>/status/<str:action>",
    "enrollment/employers/<int:pk>/employees/add",
    "enrollment/employers/<int:pk>/employees/<int:employment_pk>/remove",
}
# contributions: the section's roles; employers and runs by region, people province-wide.
# Region refusals are tested with each page in contributions/tests/.
CONTRIBUTIONS = {
    "contributions/assessment-runs/",
    "contributions/assessment-runs/new/",
    "contributions/assessment-runs/<int:pk>/",
    "contributions/assessment-runs/<int:pk>/progress",
    "contributions/assessment-runs/<int:pk>/start",
    "contributions/assessment-runs/<int:pk>/approve",
    "contributions/assessment-runs/<int:pk>/release",
    "contributions/assessment-runs/<int:pk>/discard",
    "contributions/employers/<int:pk>/statement/",
    # arrears of the user's region (contributions/tests/test_payments.py: another city
    # sees none of an employer's, a role without the section 403)
    "contributions/arrears/",
    # a run's lines: the user's region's runs whole; a run of a region above, the lines
    # of their region's people only (contributions/tests/test_run_part.py)
    "contributions/assessment-runs/<int:pk>/lines/",
    "contributions/bases/",
    "contributions/bases/redetermine",
    "contributions/employers/<int:pk>/bases/",
    "contributions/employers/<int:pk>/bases/<int:person_pk>/declare",
    "contributions/employers/<int:pk>/bases/import/",
    "contributions/people/<int:pk>/base/",
    "contributions/people/<int:pk>/back-payment/",
    "contributions/people/<int:pk>/base-correction/",
    "contributions/people/<int:pk>/refund/",
    "contributions/people/<int:pk>/shortfall/",
    # 参保缴费证明 as a PDF: people province-wide (contributions/tests/test_certificate.py:
    # another province 403)
    "contributions/people/<int:pk>/certificate.pdf",
}
# personal accounts: the section's roles; accounts follow their holder (province-wide
# view and prepare, as people); runs are the province's. Tested in accounts/tests/.
ACCOUNTS = {
    "pension-accounts/<int:pk>/",
    "pension-accounts/<int:pk>/statement/<int:year>/",
    # the statement as a PDF: the page's guards (test_pages_api.py: another province 403)
    "pension-accounts/<int:pk>/statement/<int:year>/pdf",
    "pension-accounts/<int:pk>/transfer-out/",
    "pension-accounts/<int:pk>/settlement/",
    "pension-accounts/entries/<int:pk>/reverse/",
    "pension-accounts/people/<int:person_pk>/transfer-in/",
    "pension-accounts/runs/",
    "pension-accounts/runs/new/<str:kind>/",
    "pension-accounts/runs/<int:pk>/",
    "pension-accounts/runs/<int:pk>/progress",
    "pension-accounts/runs/<int:pk>/start",
    "pension-accounts/runs/<int:pk>/approve",
    "pension-accounts/runs/<int:pk>/discard",
}
# benefits: the section's roles; people province-wide for the retirement case (prepare)
# and determinations read province-wide, as people. Tested in benefits/tests/.
BENEFITS = {
    "benefits/people/<int:pk>/retirement/",
    "benefits/determinations/<int:pk>/",
    # the determination sheet as a PDF: the page's guards (test_retirement.py)
    "benefits/determinations/<int:pk>/pdf",
    # cases about a person (prepared province-wide, approved by the owning agency):
    # suspension, resumption, death, certification, individual adjustment, survivors
    "benefits/determinations/<int:pk>/suspension/",
    "benefits/suspensions/<int:pk>/resumption/",
    "benefits/people/<int:pk>/death/",
    "benefits/people/<int:pk>/certification/",
    "benefits/determinations/<int:pk>/adjustment/",
    "benefits/people/<int:pk>/survivor-claim/",
    "benefits/people/<int:pk>/recovery/",  # benefits/tests/test_recovery.py
    "benefits/survivor-claims/<int:pk>/",
    # by region: payroll runs and their bank files and results (benefits/tests/
    # test_payroll_pages.py), receivables, data-match imports and the overdue list,
    # the adjustment events (the province's)
    "benefits/payroll-runs/",
    "benefits/payroll-runs/new/",
    "benefits/payroll-runs/<int:pk>/",
    "benefits/payroll-runs/<int:pk>/progress",
    "benefits/payroll-runs/<int:pk>/start",
    "benefits/payroll-runs/<int:pk>/approve",
    "benefits/payroll-runs/<int:pk>/recalculate",
    "benefits/payroll-runs/<int:pk>/discard",
    "benefits/payroll-runs/<int:pk>/export",
    "benefits/payroll-runs/<int:pk>/results",
    "benefits/bank-files/<int:pk>/",
    "benefits/payment-instructions/",  # test_payment_instruction_list.py
    "benefits/receivables/",
    "benefits/receivables/<int:pk>/",
    "benefits/receivables/<int:pk>/write-off/",
    "benefits/certification/imports/",
    "benefits/certification/imports/<int:pk>/",
    "benefits/certification/overdue/",
    "benefits/adjustments/",
    "benefits/adjustments/new/",
    "benefits/adjustments/<int:pk>/",
    "benefits/adjustments/<int:pk>/progress",
    "benefits/adjustments/<int:pk>/start",
    "benefits/adjustments/<int:pk>/approve",
    "benefits/adjustments/<int:pk>/discard",
}
# funds: the section's roles (fund accountants, budget officers, heads, auditors);
# accounts and entries by the region of their legs, closes the province's (the close
# and the period close refuse any but a provincial fund accountant). Tested in
# funds/tests/test_pages.py.
FUNDS = {
    "funds/accounts/",
    "funds/entries/",
    "funds/entries/<int:pk>/",
    "funds/periods/",
    "funds/periods/close",
    "funds/closes/start",
    "funds/closes/<int:pk>/",
}
# spending plans (funds/tests/test_plans.py): the section's roles; plans, disbursements
# and sweeps of the user's region and below (another region: 403, nothing changed);
# preparing, editing and submitting only the user's own region's plan as a fund
# accountant, finance's decision only by the finance officer, a disbursement only by
# the region above; every step checked by a second person of the region (approvals)
PLANS = {
    "funds/plans/",
    "funds/plans/prepare",
    "funds/plans/consolidate",
    "funds/plans/late/",
    "funds/plans/<int:pk>/",
    "funds/plans/<int:pk>/lines",
    "funds/plans/<int:pk>/workbook.xlsx",
    "funds/plans/<int:pk>/upload",
    "funds/plans/<int:pk>/submit",
    "funds/plans/<int:pk>/decide",
    "funds/plans/<int:pk>/disburse",
    "funds/disbursements/",
    "funds/surplus-sweeps/",
}
# fund reporting (funds/tests/test_other_revenue.py, test_statements.py,
# test_dashboards.py): the section's roles, figures and records of the user's region
# and below (another region's: 403 or left out); revenue recorded only by a fund
# accountant for their region or below, posted when a second person approves
REPORTS = {
    "funds/other-revenue/",
    "funds/other-revenue/new",
    "funds/statement/",
    "funds/statement/workbook.xlsx",
    "funds/dashboard/",
}
# three-way reconciliation (funds/tests/test_reconciliation_pages.py): the section's
# roles read; runs the province's, breaks and statements of the user's region and below
# (another region: 404); the run and its sign-off only by a provincial fund accountant,
# a break's assignment, explanation and correction only by a fund accountant of its
# region or above (an auditor reads, never acts: nothing changes), every correction and
# sign-off checked by a second person (approvals); control totals in the user's region
RECONCILIATION = {
    "funds/reconciliations/",
    "funds/reconciliations/start",
    "funds/reconciliations/<int:pk>/",
    "funds/reconciliations/<int:pk>/sign-off",
    "funds/reconciliation-breaks/",
    "funds/reconciliation-breaks/<int:pk>/",
    "funds/reconciliation-breaks/<int:pk>/assign",
    "funds/reconciliation-breaks/<int:pk>/explain",
    "funds/reconciliation-breaks/<int:pk>/correct",
    "funds/control-totals/",
    "funds/account-statements/",
    "funds/account-statements/<int:pk>/",
}
# budget (budget/tests/test_pages.py): the section's roles; the province's budget seen by
# the province's staff whole, by a city's with its own city's lines only, by a county's
# without city lines (its scorecard and targets are its own); drafting, editing and
# snapshots only by the province's budget officer, each step of the chain only by its
# role in turn (the service refuses out of order or the same person, nothing changes);
# targets set by a budget officer for their region and below, gap payments by the
# province's budget officer or fund accountant
BUDGET = {
    "budget/versions/",
    "budget/versions/draft",
    "budget/versions/compare/",
    "budget/versions/<int:pk>/",
    "budget/versions/<int:pk>/lines",
    "budget/versions/<int:pk>/step/<str:step>",
    "budget/versions/<int:pk>/projection/",
    "budget/targets/",
    "budget/targets/set",
    "budget/execution/",
    "budget/final-accounts/",
    "budget/gap-sharing/",
    "budget/gap-sharing/payments",
    "budget/scorecards/",
    "budget/scorecards/export.xlsx",
    "budget/snapshots/",
    "budget/snapshots/take",
}
# business archives (audit/tests/test_archives.py): the archives section's roles (the
# agencies' staff and auditors); volumes, cases and hand-over lists of the user's region
# (another region: 404, nothing filed or confirmed); filing and hand-over only by
# caseworkers, reviewers and heads of the region (auditors read); a hand-over confirmed
# by a second person through the approvals, never its maker
ARCHIVES = {
    "audit/archives/",
    "audit/archives/volumes/<int:pk>/",
    "audit/archives/volumes/<int:pk>/items/<int:item_pk>/type",
    "audit/archives/cases/",
    "audit/archives/cases/<int:pk>/file",
    "audit/archives/handovers/",
    "audit/archives/handovers/<int:pk>/",
    "audit/archives/handovers/<int:pk>/confirm",
    "audit/archives/handovers/<int:pk>/print",
}
CLASSIFIED = (
    ARCHIVES
    | BUDGET
    | FUNDS
    | PLANS
    | REPORTS
    | RECONCILIATION
    | ACCOUNTS
    | BENEFITS
    | CONTRIBUTIONS
    | ENROLLMENT
    | PUBLIC
    | SIGNED_IN
    | OWN_ONLY
    | SECOND_FACTOR
    | ROLE_SECTIONS
    | REGION_SCOPED
)


def _routes(resolver=None, prefix=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            matched = [p for p in PREFIXES if route.startswith(p)]
            if matched:
                yield matched[0]
                continue
            yield from _routes(entry, route)
        elif isinstance(entry, URLPattern):
            yield route


def test_every_route_is_in_the_matrix():
    unclassified = set()
    for route in _routes():
        if route in CLASSIFIED or any(route.startswith(p) for p in PREFIXES):
            continue
        unclassified.add(route)
    assert not unclassified, f"classify these routes in the permission matrix: {unclassified}"


def test_anonymous_is_sent_to_sign_in_everywhere_but_public_routes(client, demo_tiny, staff):
    request = _pending(staff)
    for route in SIGNED_IN | ROLE_SECTIONS:
        response = client.get("/" + route)
        assert response.status_code == 302 and response.url.startswith("/login/"), route
    for route in REGION_SCOPED:
        url = "/" + route.replace("<int:pk>", str(request.pk)).replace("<int:item>", "1")
        response = (
            client.post(url, {"reason": "x"}) if route != "approvals/<int:pk>/" else client.get(url)
        )
        assert response.status_code == 302 and response.url.startswith("/login/"), route
    assert client.get("/admin/").status_code == 302
    assert client.get("/api/v1/schema/").status_code in (401, 403)
    assert client.get("/login/").status_code == 200
    _assert_unchanged(request)


def _pending(staff, amount="100.00") -> ApprovalRequest:
    return approvals.approval_request_create(
        actor=staff["caseworker"],
        operation="pension.staff_roles_change",
        agency=staff["caseworker"].agency,
        summary="roles of 王经办",
        payload={"roles": ["caseworker", "reviewer"]},
        before={"roles": ["caseworker"]},
        target=staff["caseworker"],
        amount=Decimal(amount),
    )


def _assert_unchanged(request: ApprovalRequest) -> None:
    request.refresh_from_db()
    assert request.status == ApprovalStatus.PENDING
    assert request.checker_id is None
    caseworker = request.maker
    caseworker.refresh_from_db()
    assert caseworker.roles == ["caseworker"]
    assert not ChangeLogEntry.objects.filter(action="approve", object_id=str(request.pk)).exists()


@pytest.mark.parametrize("action", ["approve", "reject"])
def test_deciding_wrong_role_wrong_region_and_right_role(client, demo_tiny, staff, action):
    request = _pending(staff)
    url = f"/approvals/{request.pk}/{action}"
    # wrong region: the request is invisible, so 404, and nothing changes
    client.force_login(staff["other_reviewer"])
    assert client.get(f"/approvals/{request.pk}/").status_code == 404
    assert client.post(url, {"reason": "no"}).status_code == 404
    _assert_unchanged(request)
    # wrong role, right region: sees the request, cannot decide; the page says why
    client.force_login(staff["county_accountant"])
    page = client.get(f"/approvals/{request.pk}/").content.decode()
    assert 'name="approve"' not in page and 'id="refusal"' in page
    response = client.post(url, {"reason": "no"}, follow=True)
    assert "只有复核员可以审核申请" in response.content.decode()
    _assert_unchanged(request)
    # the maker: sees it, cannot decide it
    client.force_login(staff["caseworker"])
    response = client.post(url, {"reason": "no"}, follow=True)
    assert "您提交的申请须由他人复核" in response.content.decode()
    _assert_unchanged(request)
    # right role, right region
    client.force_login(staff["reviewer"])
    page = client.get(f"/approvals/{request.pk}/").content.decode()
    assert 'name="approve"' in page
    client.post(url, {"reason": "checked"})
    request.refresh_from_db()
    assert request.status == {"approve": "approved", "reject": "rejected"}[action]
    assert request.checker == staff["reviewer"]


def test_the_queue_lists_only_the_users_region_and_counts_in_the_navigation(
    client, demo_tiny, staff
):
    request = _pending(staff)
    client.force_login(staff["reviewer"])
    response = client.get("/approvals/")
    assert request.summary in response.content.decode()
    assert response.context["pending_approval_count"] == 1
    client.force_login(staff["other_reviewer"])
    response = client.get("/approvals/")
    assert request.summary not in response.content.decode()
    assert response.context["pending_approval_count"] == 0
    client.force_login(staff["city_reviewer"])  # the level above sees it too
    assert client.get("/approvals/").context["pending_approval_count"] == 1
    # the region filter narrows by county or city code
    assert request.summary in client.get("/approvals/?region=140105").content.decode()
    assert request.summary in client.get("/approvals/?region=140100").content.decode()
    assert request.summary not in client.get("/approvals/?region=140106").content.decode()
    # the maker sees their own request, but it is not theirs to decide
    client.force_login(staff["caseworker"])
    response = client.get("/approvals/")
    assert request.summary in response.content.decode()
    assert response.context["pending_approval_count"] == 0


def test_the_detail_page_shows_the_change_as_a_diff(client, demo_tiny, staff):
    request = _pending(staff)
    client.force_login(staff["reviewer"])
    html = " ".join(client.get(f"/approvals/{request.pk}/").content.decode().split())
    assert '<tr class="changed">' in html
    assert "<td>岗位角色</td><td>经办员</td><td>经办员、复核员</td>" in html


def test_admin_only_for_province_administrator(client, demo_tiny, staff):
    for name in ("caseworker", "reviewer", "auditor", "city_reviewer"):
        client.force_login(staff[name])
        assert client.get("/admin/").status_code == 302, name
        assert client.get("/admin/pension/policyparameter/").status_code == 302, name
    client.force_login(staff["admin"])
    assert client.get("/admin/pension/policyparameter/").status_code == 200


def test_api_schema_for_signed_in_users(client, demo_tiny, staff):
    client.force_login(staff["caseworker"])
    response = client.get("/api/v1/schema/")
    assert response.status_code == 200
    assert b"openapi: 3" in response.content


def _registration_fixture(staff):
    from enrollment import services
    from enrollment.tests.helpers import citizen_id, credit_code
    from pension.models import Region

    region = Region.objects.get(code="140105")
    employer = services.employer_register(
        actor=staff["caseworker"], credit_code=credit_code("91140105MA0000042"),
        name="矩阵测试公司", kind="enterprise", region=region,
    )  # fmt: skip
    person = services.person_register(
        actor=staff["caseworker"], id_number=citizen_id("140105", "19800101", 11),
        name="矩阵", category="employee", region=region,
    )  # fmt: skip
    return employer, person


def test_registration_pages_by_role_and_region(client, demo_tiny, staff):
    from enrollment.models import Employer

    employer, person = _registration_fixture(staff)
    pages = [
        "/enrollment/people/?q=矩阵",
        "/enrollment/people/new/",
        f"/enrollment/people/{person.pk}/",
        f"/enrollment/people/{person.pk}/contact/",
        f"/enrollment/people/{person.pk}/key-data/",
        f"/enrollment/people/{person.pk}/bank-account/",
        "/enrollment/employers/?q=矩阵",
        "/enrollment/employers/new/",
        f"/enrollment/employers/{employer.pk}/",
    ]
    for url in pages:  # anonymous
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith("/login/"), url
    client.force_login(staff["county_accountant"])  # wrong role
    for url in pages:
        assert client.get(url).status_code == 403, url
    client.force_login(staff["caseworker"])  # right role, right region
    for url in pages:
        assert client.get(url).status_code == 200, url
    # wrong region: the Datong caseworker reads and prepares for the person (异地通办) ...
    client.force_login(staff["other_caseworker"])
    assert client.get(f"/enrollment/people/{person.pk}/").status_code == 200
    assert client.get(f"/enrollment/people/{person.pk}/key-data/").status_code == 200
    # ... but not the bank account pensions are paid to (owning region only)
    assert client.get(f"/enrollment/people/{person.pk}/bank-account/").status_code == 403
    # ... but the Xiaodian employer is outside their region: invisible, and untouched
    assert client.get(f"/enrollment/employers/{employer.pk}/").status_code == 404
    response = client.post(f"/enrollment/employers/{employer.pk}/status/suspend", {"reason": "x"})
    assert response.status_code == 404
    assert "矩阵测试公司" not in client.get("/enrollment/employers/?q=矩阵").content.decode()
    assert Employer.objects.get(pk=employer.pk).status == "active"


def test_registration_posts_refused_for_wrong_role_change_nothing(client, demo_tiny, staff):
    from enrollment.models import Employer, Employment

    employer, person = _registration_fixture(staff)
    client.force_login(staff["county_accountant"])
    posts = [
        (f"/enrollment/employers/{employer.pk}/status/suspend", {"reason": "x"}),
        (f"/enrollment/employers/{employer.pk}/employees/add",
         {"id_number": person.id_number, "start": "2025-01"}),
        (f"/enrollment/people/{person.pk}/contact/", {"phone": "1"}),
    ]  # fmt: skip
    for url, data in posts:
        assert client.post(url, data).status_code == 403, url
    assert Employer.objects.get(pk=employer.pk).status == "active"
    assert not Employment.objects.filter(person=person).exists()
    person.refresh_from_db()
    assert person.phone == ""


def test_documents_on_a_case_added_and_superseded_never_deleted(client, demo_tiny, staff):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from pension.models import Attachment

    request = _pending(staff)

    def pdf(name, body=b"%PDF-1.4 x"):
        return SimpleUploadedFile(name, body, content_type="application/pdf")

    client.force_login(staff["other_reviewer"])  # outside the region: invisible
    assert (
        client.post(f"/approvals/{request.pk}/attachments", {"file": pdf("x.pdf")}).status_code
        == 404
    )
    client.force_login(staff["county_accountant"])  # same region, a preparer
    client.post(f"/approvals/{request.pk}/attachments", {"title": "证明", "file": pdf("a.pdf")})
    first = Attachment.objects.get(object_id=str(request.pk))
    client.force_login(staff["caseworker"])  # the maker replaces it
    client.post(
        f"/approvals/{request.pk}/attachments",
        {"title": "证明（补正）", "file": pdf("b.pdf", b"%PDF-1.4 y"), "supersedes": first.pk},
    )
    first.refresh_from_db()
    newer = Attachment.objects.exclude(pk=first.pk).get(object_id=str(request.pk))
    assert first.superseded_by == newer and newer.title == "证明（补正）"
    assert Attachment.objects.filter(object_id=str(request.pk)).count() == 2  # both kept
    # once decided, no more papers
    approvals.approval_request_reject(
        actor=staff["reviewer"], request_id=request.pk, reason="材料不全"
    )
    client.post(f"/approvals/{request.pk}/attachments", {"file": pdf("c.pdf")})
    assert Attachment.objects.filter(object_id=str(request.pk)).count() == 2


def test_contribution_pages_by_role(client, demo_tiny, staff):
    employer, person = _registration_fixture(staff)
    pages = [
        "/contributions/assessment-runs/",
        "/contributions/assessment-runs/new/",
        f"/contributions/employers/{employer.pk}/statement/",
        "/contributions/bases/",
        f"/contributions/employers/{employer.pk}/bases/",
        f"/contributions/people/{person.pk}/shortfall/",
        f"/contributions/people/{person.pk}/back-payment/",
    ]
    for url in pages:  # anonymous
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith("/login/"), url
    client.force_login(staff["city_budget"])  # a budget officer has no contributions section
    for url in pages:
        assert client.get(url).status_code == 403, url
    client.force_login(staff["caseworker"])
    for url in pages:
        assert client.get(url).status_code == 200, url
    client.force_login(staff["other_caseworker"])  # Xiaodian's employer lies outside Datong
    assert client.get(f"/contributions/employers/{employer.pk}/statement/").status_code == 404


# --- the admin: every action that changes a user, a key or a parameter (issue 13) ------
# "logged": leaves a change-log row at once; "approval": opens a maker-checker request
# (itself a change-log row) and changes nothing yet; "refused": the admin does not offer it.
ADMIN_ACTIONS = {
    ("pension.staffuser", "add"): "logged",  # without roles: the roles are a request
    ("pension.staffuser", "change"): "logged",  # name, e-mail, flags; roles, agency: approval
    ("pension.staffuser", "change roles"): "approval",
    ("pension.staffuser", "change agency"): "approval",
    ("pension.staffuser", "password"): "logged",
    ("pension.staffuser", "delete"): "logged",
    ("pension.staffuser", "delete_selected"): "logged",  # the list's bulk delete
    ("pension.staffuser", "issue_enrolment_link"): "logged",
    ("otp_totp.totpdevice", "add"): "refused",
    ("otp_totp.totpdevice", "change"): "refused",
    ("otp_totp.totpdevice", "delete"): "logged",
    ("otp_totp.totpdevice", "delete_selected"): "logged",
    ("pension.apiclient", "add"): "logged",
    ("pension.apiclient", "change"): "logged",
    ("pension.apiclient", "rotate_key"): "logged",
    ("pension.apiclient", "revoke"): "logged",
    ("pension.apiclient", "delete"): "refused",
    ("pension.policyparameter", "add"): "approval",
    ("pension.policyparameter", "change"): "approval",
    ("pension.policyparameter", "delete"): "refused",
    ("pension.enrolmentlink", "add"): "refused",
    ("pension.enrolmentlink", "change"): "refused",
    ("pension.enrolmentlink", "delete"): "refused",
}
_CONTROLLED_MODELS = {label for label, _action in ADMIN_ACTIONS}


def test_every_admin_action_on_users_keys_and_parameters_is_classified():
    from django.contrib import admin
    from django.test import RequestFactory

    from pension.models import StaffUser

    request = RequestFactory().get("/admin/")
    request.user = StaffUser(is_superuser=True, is_staff=True, is_active=True)
    found = set()
    for model, model_admin in admin.site._registry.items():
        label = model._meta.label_lower
        if label not in _CONTROLLED_MODELS:
            continue
        for verb in ("add", "change", "delete"):
            found.add((label, verb))
        for name in model_admin.get_actions(request):
            found.add((label, name))
    assert {m._meta.label_lower for m in admin.site._registry} >= _CONTROLLED_MODELS
    assert found <= set(ADMIN_ACTIONS), f"not classified: {sorted(found - set(ADMIN_ACTIONS))}"


def _admin_user_form(user, **changes):
    data = {
        "username": user.username, "full_name": user.full_name, "agency": user.agency_id or "",
        "roles": ",".join(user.roles), "email": user.email, "is_active": "on",
        "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
    }  # fmt: skip
    data.update(changes)
    return data


def _do_admin_action(client, staff, label, action):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from pension.api import keys
    from pension.models import PolicyParameter, Region, StaffUser

    base = f"/admin/{label.replace('.', '/')}/"
    target = staff["caseworker"]
    if label == "pension.staffuser":
        if action == "add":
            return client.post(base + "add/", {
                "username": "new_clerk", "full_name": "新经办", "agency": target.agency_id,
                "roles": "caseworker", "password1": "Xq7!long-pass-2026",
                "password2": "Xq7!long-pass-2026", "usable_password": "true",
            })  # fmt: skip
        if action == "change":
            return client.post(
                f"{base}{target.pk}/change/", _admin_user_form(target, email="w@x.cn")
            )
        if action == "change roles":
            form = _admin_user_form(target, roles="caseworker,reviewer")
            return client.post(f"{base}{target.pk}/change/", form)
        if action == "change agency":
            form = _admin_user_form(target, agency=staff["other_caseworker"].agency_id)
            return client.post(f"{base}{target.pk}/change/", form)
        if action == "password":
            return client.post(f"{base}{target.pk}/password/", {
                "password1": "N3w-pass-2026!x", "password2": "N3w-pass-2026!x",
                "usable_password": "true",
            })  # fmt: skip
        if action == "delete":
            doomed = StaffUser.objects.create(username="doomed")
            return client.post(f"{base}{doomed.pk}/delete/", {"post": "yes"})
        if action == "delete_selected":
            doomed = StaffUser.objects.create(username="doomed")
            return client.post(
                base, {"action": action, "_selected_action": [doomed.pk], "post": "yes"}
            )
        return client.post(base, {"action": action, "_selected_action": [target.pk]})
    if label == "otp_totp.totpdevice":
        device = TOTPDevice.objects.create(user=target, name="TOTP", confirmed=True)
        if action == "add":
            return client.post(base + "add/", {"user": target.pk, "name": "x"})
        if action == "change":
            return client.post(f"{base}{device.pk}/change/", {"user": target.pk, "name": "x"})
        if action == "delete_selected":
            return client.post(
                base, {"action": action, "_selected_action": [device.pk], "post": "yes"}
            )
        return client.post(f"{base}{device.pk}/delete/", {"post": "yes"})
    if label == "pension.apiclient":
        region = Region.objects.get(code="140000")
        form = {"name": "Tax", "kind": "tax", "region": region.pk, "bank_name": "",
                "scopes": "contributions.read"}  # fmt: skip
        if action == "add":
            return client.post(base + "add/", form)
        client_row, _key = keys.api_client_create(
            actor=staff["admin"], name="Tax", kind="tax", region=region, scopes=["a.read"]
        )
        if action == "change":
            return client.post(f"{base}{client_row.pk}/change/", form)
        if action == "delete":
            return client.post(f"{base}{client_row.pk}/delete/", {"post": "yes"})
        return client.post(base, {"action": action, "_selected_action": [client_row.pk]})
    if label == "pension.policyparameter":
        parameter = PolicyParameter.objects.filter(key="approvals.amount_thresholds").first()
        form = {"value": '{"city": "1.00", "province": "2.00"}', "notes": "x", "source": "s"}
        if action == "add":
            return client.post(base + "add/", {
                **form, "key": parameter.key, "profile": parameter.profile_id,
                "effective_from": "2031-01-01", "version": 1,
            })  # fmt: skip
        if action == "change":
            return client.post(f"{base}{parameter.pk}/change/", form)
        return client.post(f"{base}{parameter.pk}/delete/", {"post": "yes"})
    if label == "pension.enrolmentlink":
        return client.post(base + "add/", {})
    raise AssertionError(f"no way to try {label} {action}")


@pytest.mark.parametrize(("label", "action"), sorted(ADMIN_ACTIONS))
def test_each_admin_action_is_logged_sent_for_approval_or_refused(
    client, demo_tiny, staff, label, action
):
    client.force_login(staff["admin"])
    entries = ChangeLogEntry.objects.count()
    requests = ApprovalRequest.objects.count()
    kind = ADMIN_ACTIONS[label, action]
    if action in ("delete", "delete_selected") and label == "otp_totp.totpdevice":
        entries += 1  # the device made for the test is itself logged (outside the services)
    if label == "otp_totp.totpdevice" and action not in ("delete", "delete_selected"):
        entries += 1
    if label == "pension.apiclient" and action not in ("add",):
        entries += 1  # the client made for the test
    response = _do_admin_action(client, staff, label, action)
    if kind == "refused":
        assert response.status_code == 403, (label, action, response.status_code)
        assert ChangeLogEntry.objects.count() == entries
        return
    assert response.status_code in (200, 302), response.content.decode()[:2000]
    assert ChangeLogEntry.objects.count() > entries, (label, action)
    if action in ("delete", "delete_selected"):  # the row made for the test is logged too
        assert ChangeLogEntry.objects.filter(object_type=label, action="delete").count() == 1
    if kind == "approval":
        assert ApprovalRequest.objects.count() == requests + 1
        assert ApprovalRequest.objects.latest("id").status == ApprovalStatus.PENDING
