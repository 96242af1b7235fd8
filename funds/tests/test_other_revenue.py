"""Revenue recorded by a case (其他基金收入登记): a fiscal subsidy, central adjustment
funds and interest recorded from their documents, approved by a second person and
posted (receiving account debited, the region's revenue account credited); the maker
and another region refused with nothing posted; a document recorded once (again after a
rejection); a closed month refused; the page records a case in Chinese."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest
from django.urls import reverse

from funds import ledger, other_revenue
from funds.choices import AccountKind, FundItem, OtherRevenueStatus, PeriodStatus
from funds.models import AccountingPeriod, JournalEntry, OtherRevenue
from funds.selectors import actuals_by_item
from pension.approvals import approval_request_approve, approval_request_reject
from pension.errors import Conflict, InvalidInput, NotPermitted
from pension.models import ApprovalRequest, ChangeLogEntry

pytestmark = pytest.mark.django_db
DAY = date(2026, 3, 20)


def _record(staff, *, item=FundItem.FISCAL_SUBSIDY, amount="1250000.00", ref="晋财社〔2026〕12号",
            user="county_accountant", region=None, **kw):  # fmt: skip
    actor = staff[user]
    return other_revenue.other_revenue_request(
        actor=actor, region=region or actor.region, item=item, amount=D(amount),
        received_on=kw.pop("received_on", DAY), document_reference=ref, payer="县财政局", **kw,
    )  # fmt: skip


def _legs(entry: JournalEntry) -> list[tuple[str, str, D]]:
    return sorted(
        (leg.account.kind, leg.account.region_id, leg.amount)
        for leg in entry.legs.select_related("account")
    )


def test_subsidy_posted_on_approval_by_a_second_person(staff):
    county = staff["county_accountant"].region
    record = _record(staff)
    assert (record.status, record.ledger_entry_id) == (OtherRevenueStatus.PENDING, None)
    assert record.account.kind == AccountKind.INCOME  # the default: the region's income account
    assert JournalEntry.objects.count() == 0
    with pytest.raises(NotPermitted):  # the maker checks nothing
        approval_request_approve(actor=staff["county_accountant"], request_id=record.approval_id)
    with pytest.raises(NotPermitted):  # a reviewer of another county
        approval_request_approve(actor=staff["other_reviewer"], request_id=record.approval_id)
    assert JournalEntry.objects.count() == 0
    approval_request_approve(actor=staff["reviewer"], request_id=record.approval_id)
    record.refresh_from_db()
    assert record.status == OtherRevenueStatus.POSTED
    entry = record.ledger_entry
    assert (entry.item, entry.period.period.as_int, entry.source_reference) == (
        "fiscal_subsidy", 202603, "晋财社〔2026〕12号",
    )  # fmt: skip
    assert _legs(entry) == [
        ("income", county.code, D("1250000.00")),
        ("revenue", county.code, D("-1250000.00")),
    ]
    assert entry.actor == staff["reviewer"]
    # the revenue is in the statement's figures: fiscal subsidy, March, 1 250 000.00
    assert actuals_by_item(year=2026, region_code=county.code) == [
        (county.code, "fiscal_subsidy", 3, D("1250000.00"))
    ]
    assert ChangeLogEntry.objects.filter(object_type="funds.otherrevenue").count() == 2


def test_province_records_central_adjustment_to_the_special_account(staff):
    province = staff["province_accountant"].region
    special = ledger.fund_account_for(region=province, kind=AccountKind.SPECIAL)
    record = _record(staff, user="province_accountant", item=FundItem.CENTRAL_ADJUSTMENT,
                     amount="30000000.00", ref="财社〔2026〕5号", account=special)  # fmt: skip
    approval_request_approve(actor=staff["province_reviewer"], request_id=record.approval_id)
    record.refresh_from_db()
    assert _legs(record.ledger_entry) == [
        ("revenue", province.code, D("-30000000.00")),
        ("special", province.code, D("30000000.00")),
    ]


def test_refusals_change_nothing(staff):
    county = staff["county_accountant"].region
    other = staff["other_reviewer"].region
    with pytest.raises(NotPermitted):  # a caseworker is not a fund accountant
        _record(staff, user="caseworker")
    with pytest.raises(NotPermitted):  # a county accountant records their own county only
        _record(staff, region=other)
    with pytest.raises(InvalidInput):  # contributions come from the close, not a case
        _record(staff, item=FundItem.CONTRIBUTION_EMPLOYER)
    with pytest.raises(InvalidInput):
        _record(staff, amount="0.00")
    with pytest.raises(InvalidInput):  # the receiving account of another region
        _record(staff, account=ledger.fund_account_for(region=other, kind=AccountKind.INCOME))
    with pytest.raises(InvalidInput):  # a nominal account receives no money
        _record(staff, account=ledger.fund_account_for(region=county, kind=AccountKind.REVENUE))
    with pytest.raises(InvalidInput):  # a county has no special account
        _record(staff, account_kind=AccountKind.SPECIAL)
    with pytest.raises(InvalidInput):
        _record(staff, received_on=date(2999, 1, 1))
    assert OtherRevenue.objects.count() == 0
    AccountingPeriod.objects.create(period=202602, status=PeriodStatus.CLOSED, closed_at=DAY)
    with pytest.raises(Conflict):
        _record(staff, received_on=date(2026, 2, 27))
    assert OtherRevenue.objects.count() == ApprovalRequest.objects.count() == 0


def test_a_document_is_recorded_once_and_again_after_a_rejection(staff):
    first = _record(staff, item=FundItem.INTEREST, amount="3456.78", ref="利息单2026Q1")
    with pytest.raises(Conflict):
        _record(staff, item=FundItem.INTEREST, amount="3456.78", ref="利息单2026Q1")
    approval_request_reject(
        actor=staff["reviewer"], request_id=first.approval_id, reason="金额有误"
    )
    again = _record(staff, item=FundItem.INTEREST, amount="3465.78", ref="利息单2026Q1")
    first.refresh_from_db()
    assert first.status == OtherRevenueStatus.REJECTED
    approval_request_approve(actor=staff["reviewer"], request_id=again.approval_id)
    again.refresh_from_db()
    assert again.status == OtherRevenueStatus.POSTED
    assert [e.item for e in JournalEntry.objects.all()] == ["interest"]
    with pytest.raises(Conflict):  # posted: once
        _record(staff, item=FundItem.INTEREST, amount="1.00", ref="利息单2026Q1")


def test_page_records_a_transfer_in(client, staff, demo_password):
    client.login(username="county_accountant", password=demo_password)
    url = reverse("funds:other_revenue_list")
    page = client.get(url).content.decode()
    assert "其他基金收入" in page and "登记收入" in page
    county = staff["county_accountant"].region
    response = client.post(
        reverse("funds:other_revenue_create"),
        {
            "region": county.code,
            "item": FundItem.TRANSFER_IN,
            "amount": "8800.00",
            "received_on": "2026-03-02",
            "account_kind": "income",
            "document_reference": "转移函2026-001",
            "payer": "长春市社会保险中心",
            "memo": "",
            "reason": "",
        },
    )
    assert response.status_code == 302
    record = OtherRevenue.objects.get()
    assert (record.item, record.amount, record.status) == ("transfer_in", D("8800.00"), "pending")
    page = client.get(url, {"item": "transfer_in"}).content.decode()
    assert "转移函2026-001" in page and "转移收入" in page and "8,800.00" in page
    assert "转移函2026-001" not in client.get(url, {"item": "interest"}).content.decode()
    # another county's staff do not see it (the selector's scope); the city's do
    assert not other_revenue.other_revenue_list(user=staff["other_reviewer"]).exists()
    assert other_revenue.other_revenue_list(user=staff["city_accountant"]).get() == record
