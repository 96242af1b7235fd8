"""Pages of the fund ledger: content, scope by region, role refusals, the period close
proposed from its page (nothing closes until approved)."""

from decimal import Decimal

import pytest
from django.urls import reverse

from funds import ledger
from funds.choices import AccountKind, Counterparty, FundItem, PeriodStatus
from funds.ledger import Source, credit, debit
from funds.models import AccountingPeriod
from pension.models import ApprovalRequest

pytestmark = pytest.mark.django_db


@pytest.fixture
def posted(staff):
    """12 345.67 posted tax clearing → revenue in the county accountant's county, and
    100.00 in the other county."""
    county = staff["county_accountant"].region
    other = staff["other_caseworker"].region
    entries = []
    for region, amount, key in [(county, "12345.67", "a"), (other, "100.00", "b")]:
        tax = ledger.fund_account_for(
            region=region, kind=AccountKind.CLEARING, counterparty=Counterparty.TAX
        )
        revenue = ledger.fund_account_for(region=region, kind=AccountKind.REVENUE)
        entries.append(
            ledger.post_entry(
                actor=staff["county_accountant"],
                period=202601,
                legs=[debit(tax, Decimal(amount)), credit(revenue, Decimal(amount))],
                source=Source("test", key, f"REF-{key}"),
                idempotency_key=key,
                item=FundItem.LATE_FEE,
            )
        )
    return entries


def test_accounts_entries_and_detail_by_region(client, staff, posted):
    client.force_login(staff["county_accountant"])
    page = client.get(reverse("funds:account_list")).content.decode()
    county = staff["county_accountant"].region
    assert f'data-account="{county.code}-WL-TAX"' in page
    assert 'data-balance="12345.67"' in page and "12,345.67" in page
    assert staff["other_caseworker"].region.code + "-WL-TAX" not in page
    page = client.get(reverse("funds:entry_list"), {"item": "late_fee"}).content.decode()
    assert f'data-entry="{posted[0].pk}"' in page and f'data-entry="{posted[1].pk}"' not in page
    assert "滞纳金收入" in page
    page = client.get(reverse("funds:entry_detail", args=[posted[0].pk])).content.decode()
    assert "借方" in page and page.count("12,345.67") == 2
    # another county's entry is not found
    assert client.get(reverse("funds:entry_detail", args=[posted[1].pk])).status_code == 404
    # filters: another period finds nothing
    page = client.get(reverse("funds:entry_list"), {"period": "2026-02"}).content.decode()
    assert "data-entry=" not in page


def test_anonymous_and_wrong_role(client, staff, posted):
    url = reverse("funds:entry_list")
    assert client.get(url).status_code == 302
    client.force_login(staff["caseworker"])
    assert client.get(url).status_code == 403
    assert client.post(reverse("funds:period_close"), {"period": "2026-01"}).status_code == 403
    assert not ApprovalRequest.objects.exists()


def test_the_period_close_is_proposed_from_its_page(client, staff, posted):
    client.force_login(staff["county_accountant"])
    page = client.get(reverse("funds:period_list")).content.decode()
    assert 'id="period-close-form"' not in page  # only a provincial fund accountant
    client.post(reverse("funds:period_close"), {"period": "2026-01"})
    assert not ApprovalRequest.objects.exists()
    client.force_login(staff["province_accountant"])
    response = client.post(reverse("funds:period_close"), {"period": "2026-01", "reason": "月结"})
    request = ApprovalRequest.objects.get(operation="funds.period_close")
    assert response.status_code == 302 and response["Location"] == reverse(
        "approval_detail", args=[request.pk]
    )
    assert AccountingPeriod.objects.get(period=202601).status == PeriodStatus.OPEN
