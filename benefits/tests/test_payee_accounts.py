"""Payees' bank accounts in the payroll (§6.2.2.3): the variance report flags every
payee paid to another account than last month, and a payment to an account changed in
the last N days (``payroll.recent_account_change_days``, 30) is approved only with
the reviewer's explicit confirmation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone, translation

from benefits.choices import PayrollRunStatus
from benefits.payroll import payee_accounts
from benefits.payroll import runs as payroll
from benefits.tests.factories import retiree
from enrollment import services as enrollment
from pension.approvals import approval_request_approve
from pension.errors import Conflict
from pension.models import ApprovalRequest

pytestmark = pytest.mark.django_db

NEW_ACCOUNT = "6217000000009876"


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def county(staff) -> str:
    return staff["caseworker"].agency.region_id


@pytest.fixture
def november(staff, county):
    """Two retirees paid in November (approved); 甲's account then changes by a case."""
    agency = staff["caseworker"].agency
    a = retiree(agency, paid_through="2026-10", name="甲")
    b = retiree(agency, paid_through="2026-10", name="乙")
    run = _run(staff, county, "2026-11")
    payroll.payroll_run_approve(actor=staff["reviewer"], run=run)
    return {"a": a.person, "b": b.person, "run": run}


def _run(staff, county, period, *, dry_run=False):
    run = payroll.payroll_run_create(
        actor=staff["caseworker"], period=period, region=county, dry_run=dry_run
    )
    return payroll.payroll_run_execute(run.pk)


def _change_account(staff, person) -> ApprovalRequest:
    case = enrollment.person_bank_account_change_request(
        actor=staff["caseworker"], person=person, bank_name="中国建设银行",
        bank_account=NEW_ACCOUNT, reason="换卡",
    )  # fmt: skip
    return approval_request_approve(actor=staff["reviewer"], request_id=case.pk)


def test_the_variance_report_flags_every_payee_paid_to_another_account(staff, county, november):
    old = november["a"].bank_account
    _change_account(staff, november["a"])

    december = _run(staff, county, "2026-12")

    changes = payee_accounts.accounts_changed_since_last_month(december)
    assert [(c.person_id, c.payee_name) for c in changes] == [(november["a"].pk, "甲")]
    assert changes[0].before == f"中国工商银行 ···{old[-4:]}"
    assert changes[0].after == "中国建设银行 ···9876"


def test_a_payment_to_a_recently_changed_account_needs_the_reviewers_confirmation(
    staff, county, november
):
    case = _change_account(staff, november["a"])
    december = _run(staff, county, "2026-12")
    recent = payee_accounts.recent_account_changes(december)
    assert recent.days == 30
    assert [(r.payee_name, r.bank_account, r.request_id) for r in recent.rows] == [
        ("甲", NEW_ACCOUNT, case.pk)
    ]

    for confirmed in (None, 0, 2):  # not confirmed, or not what the run holds now
        with pytest.raises(Conflict) as refused:
            payroll.payroll_run_approve(
                actor=staff["reviewer"], run=december, confirmed_account_changes=confirmed
            )
        assert refused.value.code == "account_changes_unconfirmed"
        assert "1 payments go to a bank account changed in the last 30 days" in str(refused.value)
    december.refresh_from_db()
    assert december.status == PayrollRunStatus.CALCULATED

    payroll.payroll_run_approve(actor=staff["reviewer"], run=december, confirmed_account_changes=1)

    december.refresh_from_db()
    assert december.status == PayrollRunStatus.APPROVED
    assert december.parameters["recent_account_changes"] == 1
    assert december.parameters["recent_account_days"].startswith(
        "payroll.recent_account_change_days@"
    )


def test_a_change_older_than_n_days_needs_no_confirmation(staff, county, november):
    case = _change_account(staff, november["a"])
    # approved 31 days ago: outside the 30 days
    ApprovalRequest.objects.filter(pk=case.pk).update(
        decided_at=timezone.now() - timedelta(days=31)
    )
    december = _run(staff, county, "2026-12")
    assert payee_accounts.recent_account_changes(december).count == 0
    payroll.payroll_run_approve(actor=staff["reviewer"], run=december)
    december.refresh_from_db()
    assert december.status == PayrollRunStatus.APPROVED


def test_the_approval_page_asks_for_the_confirmation(client, staff, county, november, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    _change_account(staff, november["a"])
    december = _run(staff, county, "2026-12")
    client.force_login(staff["reviewer"])
    page = client.get(f"/benefits/payroll-runs/{december.pk}/").content.decode()
    assert 'name="confirmed_account_changes" value="1"' in page
    assert 'id="recent-accounts"' in page
    assert f'<tr data-person="{november["a"].pk}">' in page

    approve = f"/benefits/payroll-runs/{december.pk}/approve"
    response = client.post(approve, follow=True)  # the box not ticked
    assert "check them and confirm before approving" in response.content.decode()
    december.refresh_from_db()
    assert december.status == PayrollRunStatus.CALCULATED

    client.post(approve, {"confirmed_account_changes": "1"})
    december.refresh_from_db()
    assert december.status == PayrollRunStatus.APPROVED


def test_the_page_lists_at_most_a_limit_but_the_confirmation_counts_all(staff, county, november):
    # both payees change their account: two changes, two recent payments
    _change_account(staff, november["a"])
    _change_account(staff, november["b"])
    december = _run(staff, county, "2026-12")

    assert len(payee_accounts.accounts_changed_since_last_month(december)) == 2
    first = payee_accounts.accounts_changed_since_last_month(december, limit=1)
    assert [c.person_id for c in first] == [min(november["a"].pk, november["b"].pk)]

    recent = payee_accounts.recent_account_changes(december, limit=1)
    assert len(recent.rows) == 1
    assert recent.count == 2  # the reviewer confirms all of them, not the page's share
