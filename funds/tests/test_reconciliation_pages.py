"""Pages and API of the three-way reconciliation: the statement endpoint (idempotent,
refusals change nothing), the read lists (scope funds.read, region), the run page with
its balance adjustment, the breaks' list (filters) and workflow from the page, the
sign-off proposed from the page, refusals by role and region."""

from __future__ import annotations

import json
from decimal import Decimal as D

import pytest
from django.test import Client
from django.urls import reverse

from funds import reconciliation
from funds.choices import BreakKind, BreakStatus
from funds.models import AccountStatement, ReconciliationBreak, StatementLine
from funds.tests.test_reconciliation import _october_statement, make_world
from pension.api import keys
from pension.models import ApprovalRequest

pytestmark = pytest.mark.django_db
URL = "/api/v1/funds/account-statements/"


@pytest.fixture
def world(staff):
    """The county's October of ``test_reconciliation`` (its statement not yet posted)."""
    return make_world(staff)


def _key(staff, name, scopes, region):
    _client, key = keys.api_client_create(
        actor=staff["admin"], name=name, kind="bank", region=region, scopes=scopes,
        bank_name="中国工商银行",
    )  # fmt: skip
    return key


def _post(key, body, idempotency_key):
    return Client().post(
        URL, data=json.dumps(body), content_type="application/json",
        HTTP_AUTHORIZATION=f"Api-Key {key}", HTTP_IDEMPOTENCY_KEY=idempotency_key,
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )  # fmt: skip


def _body(world, **changes):
    return {
        "statement_number": "ICBC-2026-10",
        "account": world["income"].code,
        "period": "2026-10",
        "opening_balance": "0.00",
        "closing_balance": "12503.15",
        "lines": [
            {"line_number": 1, "booked_on": "2026-10-05", "amount": "10000.00",
             "reference": "HJ-1"},
            {"line_number": 2, "booked_on": "2026-10-21", "amount": "2500.00"},
            {"line_number": 3, "booked_on": "2026-10-31", "amount": "3.15", "memo": "利息"},
        ],
        **changes,
    }  # fmt: skip


def test_a_statement_posted_once_and_replayed(staff, world):
    key = _key(staff, "工行对账", ["funds.statement", "funds.read"], world["county"])
    answer = _post(key, _body(world), "ICBC-2026-10")
    assert answer.status_code == 201, answer.content
    data = answer.json()
    assert (data["statement_number"], data["line_count"], data["closing_balance"]) == (
        "ICBC-2026-10",
        3,
        "12503.15",
    )
    replay = _post(key, _body(world), "ICBC-2026-10")
    assert replay.status_code == 201 and replay["Idempotent-Replayed"] == "true"
    assert replay.json() == data
    # the same key, another body: refused, nothing written
    other = _post(key, _body(world, closing_balance="12503.16"), "ICBC-2026-10")
    assert other.status_code == 409
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    # lines that do not add up: refused in Chinese
    bad = _post(key, _body(world, statement_number="X-2", closing_balance="1.00"), "ICBC-2026-10-X")
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "statement_not_balanced"
    assert "期初余额" in bad.json()["error"]["message"]
    assert (AccountStatement.objects.count(), StatementLine.objects.count()) == (1, 3)
    # the read list (funds.read): the statement, by cursor pages
    listed = Client().get(URL, HTTP_AUTHORIZATION=f"Api-Key {key}").json()
    assert [s["statement_number"] for s in listed["results"]] == ["ICBC-2026-10"]


def test_a_statement_needs_its_scope_and_region(staff, world):
    key = _key(staff, "只读", ["funds.read"], world["county"])
    refused = _post(key, _body(world), "ICBC-2026-10")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "scope_missing"
    other = staff["other_caseworker"].region
    key = _key(staff, "外县银行", ["funds.statement"], other)
    refused = _post(key, _body(world), "ICBC-2026-10")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "outside_region"
    assert not AccountStatement.objects.exists()


def test_the_runs_and_breaks_read_by_api(staff, world):
    _october_statement(world)
    run = reconciliation.reconciliation_run(actor=staff["province_accountant"], period=202610)
    key = _key(staff, "财政读取", ["funds.read"], staff["province_accountant"].region)
    auth = {"HTTP_AUTHORIZATION": f"Api-Key {key}"}
    runs = Client().get("/api/v1/funds/reconciliations/", **auth).json()["results"]
    assert [(r["id"], r["matched_count"], r["break_count"]) for r in runs] == [(run.pk, 2, 2)]
    breaks = (
        Client()
        .get("/api/v1/funds/reconciliation-breaks/", {"kind": "bank_only"}, **auth)
        .json()["results"]
    )
    assert [(b["kind"], b["bank_amount"], b["ledger_amount"]) for b in breaks] == [
        ("bank_only", "3.15", None)
    ]
    # another county's system sees none of them
    key = _key(staff, "外县读取", ["funds.read"], staff["other_caseworker"].region)
    breaks = (
        Client()
        .get("/api/v1/funds/reconciliation-breaks/", HTTP_AUTHORIZATION=f"Api-Key {key}")
        .json()["results"]
    )
    assert breaks == []


def test_the_pages_show_the_month_and_work_its_breaks(client, staff, world):
    _october_statement(world)
    run = reconciliation.reconciliation_run(actor=staff["province_accountant"], period=202610)
    client.force_login(staff["province_accountant"])
    page = client.get(reverse("funds:reconciliation_list")).content.decode()
    assert f'data-run="{run.pk}"' in page and "已勾对" in page and "进行月度对账" in page
    page = client.get(reverse("funds:reconciliation_detail", args=[run.pk])).content.decode()
    # the balance adjustment: both sides 13 703.15, green
    code = world["income"].code
    assert f'data-account="{code}" class="check-ok"' in page
    assert page.count("13,703.15") == 2 and "12,503.15" in page and "1,200.00" in page
    assert "余额调节表" in page and "账面已记、银行未记" in page
    # the sign-off from the page is refused while breaks are open
    answer = client.post(reverse("funds:reconciliation_sign_off", args=[run.pk]), follow=True)
    assert "尚有 2 笔未达账项" in answer.content.decode()
    assert not ApprovalRequest.objects.exists()

    # the breaks' list, filtered by kind
    page = client.get(reverse("funds:break_list"), {"kind": "ledger_only"}).content.decode()
    timing = ReconciliationBreak.objects.get(kind=BreakKind.LEDGER_ONLY)
    interest = ReconciliationBreak.objects.get(kind=BreakKind.BANK_ONLY)
    assert f'data-break="{timing.pk}"' in page and f'data-break="{interest.pk}"' not in page
    assert "HJ-3" in page and "账面已记、银行未记" in page

    # the county accountant explains theirs as a timing difference from the page
    client.force_login(staff["county_accountant"])
    page = client.get(reverse("funds:break_detail", args=[timing.pk])).content.decode()
    assert 'id="explain-form"' in page and "钱会计" in page  # an assignee to choose
    client.post(
        reverse("funds:break_explain", args=[timing.pk]),
        {"explanation": "银行 11-02 入账", "timing": "on"},
    )
    timing.refresh_from_db()
    assert (timing.status, timing.explanation) == (BreakStatus.TIMING, "银行 11-02 入账")
    # an empty explanation is refused, nothing changes
    client.post(reverse("funds:break_explain", args=[interest.pk]), {"explanation": ""})
    interest.refresh_from_db()
    assert interest.status == BreakStatus.OPEN
    # the correcting entry is proposed from the page (a request for a second person)
    answer = client.post(
        reverse("funds:break_correct", args=[interest.pk]),
        {"reason": "10月利息", "item": "interest"},
    )
    request = ApprovalRequest.objects.get(operation=reconciliation.CORRECTION)
    assert answer.status_code == 302 and answer["Location"] == reverse(
        "approval_detail", args=[request.pk]
    )


def test_auditors_read_others_are_refused(client, staff, world):
    _october_statement(world)
    run = reconciliation.reconciliation_run(actor=staff["province_accountant"], period=202610)
    brk = ReconciliationBreak.objects.get(kind=BreakKind.BANK_ONLY)
    client.force_login(staff["auditor"])
    page = client.get(reverse("funds:break_detail", args=[brk.pk])).content.decode()
    assert "3.15" in page and 'id="correct-form"' not in page  # reads, never acts
    answer = client.post(reverse("funds:break_explain", args=[brk.pk]), {"explanation": "x"})
    brk.refresh_from_db()
    assert answer.status_code == 302 and brk.status == BreakStatus.OPEN
    # a caseworker (no funds role) is refused the section
    client.force_login(staff["other_caseworker"])
    assert client.get(reverse("funds:break_detail", args=[brk.pk])).status_code == 403
    client.force_login(staff["caseworker"])  # no funds role
    assert client.get(reverse("funds:reconciliation_list")).status_code == 403
    assert client.get(reverse("funds:control_totals")).status_code == 403
    # a county accountant cannot start a run
    client.force_login(staff["county_accountant"])
    client.post(reverse("funds:reconciliation_start"), {"period": "2026-09"})
    assert not type(run).objects.filter(period=202609).exists()
    page = client.get(reverse("funds:statement_list")).content.decode()
    assert "ICBC-2026-10" in page and D("12503.15")


def test_the_sign_off_is_linked_only_for_who_may_open_it(client, staff, world):
    """The province's sign-off request opens for the province's staff; a county's fund
    accountant sees the run and the request's status without a link (its page would
    answer 404 outside the request's region: the link walk found it on the demo)."""
    _october_statement(world)
    maker = staff["province_accountant"]
    run = reconciliation.reconciliation_run(actor=maker, period=202610)
    for brk in run.breaks.all():
        reconciliation.break_explain(actor=maker, brk=brk, explanation="银行已说明")
    request = reconciliation.reconciliation_sign_off(actor=maker, run=run)
    link = f'href="{reverse("approval_detail", args=[request.pk])}"'
    detail = reverse("funds:reconciliation_detail", args=[run.pk])
    client.force_login(maker)
    assert link in client.get(detail).content.decode()
    assert client.get(reverse("approval_detail", args=[request.pk])).status_code == 200
    client.force_login(staff["county_accountant"])
    page = client.get(detail).content.decode()
    assert link not in page and "待复核" in page
    assert client.get(reverse("approval_detail", args=[request.pk])).status_code == 404
