"""Pages and the statement API of personal accounts: content, scope and refusals
(anonymous, wrong role, wrong region), and that a refusal changes nothing."""

from __future__ import annotations

from datetime import date

import pytest

from accounts.models import AccountEntry, AccountRun
from accounts.tests.factories import account_with, make_person, paid_line
from pension.api import keys
from pension.models import ApprovalRequest, Region

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(staff):
    person = make_person(staff["caseworker"].agency, name="赵账户")
    return account_with(
        person,
        [
            ("migrated_balance", "2024-03", "1000.00"),
            ("interest", "2024-12", "20.96"),
            ("migrated_balance", "2025-02", "500.00"),
        ],
    )


def _system(staff, scopes, region="140100"):
    return keys.api_client_create(
        actor=staff["admin"],
        name=f"finance {region} {' '.join(scopes)}",
        kind="finance",
        region=Region.objects.get(code=region),
        scopes=scopes,
    )


def test_the_account_page_shows_balance_years_and_entries(client, staff, account):
    client.force_login(staff["caseworker"])
    page = client.get(f"/pension-accounts/{account.pk}/").content.decode()
    assert "赵账户" in page
    assert 'id="account-balance">1,520.96<' in page  # 1 000 + 20.96 + 500
    # 2024: 0 → 1 020.96; 2025: 1 020.96 → 1 520.96
    assert '<td>2024</td><td class="num">0.00</td>' in page
    assert '<td class="num">1,520.96</td>' in page
    assert "转往外省" in page  # the transfer-out action for one who may prepare


def test_the_printable_statement_of_a_year(client, staff, account):
    client.force_login(staff["caseworker"])
    page = client.get(f"/pension-accounts/{account.pk}/statement/2024/").content.decode()
    assert 'id="statement-opening">0.00<' in page
    assert 'id="statement-interest">20.96<' in page
    assert 'id="statement-closing">1,020.96<' in page
    assert "个人账户对账单" in page
    assert client.get(f"/pension-accounts/{account.pk}/statement/2019/").status_code == 404


def test_the_person_page_has_the_account_section(client, staff, account):
    client.force_login(staff["caseworker"])
    page = client.get(f"/enrollment/people/{account.person_id}/").content.decode()
    assert 'id="account-balance">1,520.96<' in page
    assert 'id="account-this-year">' in page


def test_wrong_role_and_anonymous_are_refused_and_nothing_changes(client, staff, account):
    url = f"/pension-accounts/{account.pk}/transfer-out/"
    assert client.get(url).status_code == 302  # to sign in
    client.force_login(staff["city_budget"])  # no role in this section
    assert client.post(url, {"other_province": "河北省"}).status_code == 403
    assert client.get("/pension-accounts/runs/").status_code == 403
    assert not ApprovalRequest.objects.filter(operation="accounts.transfer_out").exists()


def test_a_caseworker_of_another_region_may_view_but_not_prepare(client, staff, account):
    client.force_login(staff["other_caseworker"])
    assert client.get(f"/pension-accounts/{account.pk}/").status_code == 200
    # 异地通办: people may be served province-wide, so the case is open to them too;
    # approval stays with the owning agency
    response = client.get(f"/pension-accounts/{account.pk}/settlement/")
    assert response.status_code == 200


def test_a_run_can_be_created_and_its_page_shows_the_rate(client, staff):
    client.force_login(staff["province_accountant"])
    response = client.post(
        "/pension-accounts/runs/new/interest/",
        {"year": "2024", "region": "140000", "dry_run": "on"},
    )
    assert response.status_code == 302, response.content.decode()[-3000:]
    run = AccountRun.objects.get()
    assert response.status_code == 302 and response.url == f"/pension-accounts/runs/{run.pk}/"
    page = client.get(response.url).content.decode()
    assert 'id="run-rate"' in page and "0.026200" in page
    assert "试算" in page
    # a county caseworker cannot run the province's batch
    client.force_login(staff["caseworker"])
    response = client.post(
        "/pension-accounts/runs/new/interest/", {"year": "2023", "region": "140000"}
    )
    assert AccountRun.objects.count() == 1
    assert response.status_code in (200, 403)


def test_the_statement_api_needs_the_scope_and_stays_in_the_region(client, staff, account):
    url = f"/api/v1/pension-accounts/statements/{account.person.id_number}/"
    _, without = _system(staff, ["contributions.read"])
    refused = client.get(url, HTTP_AUTHORIZATION=f"Api-Key {without}")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "scope_missing"

    _, key = _system(staff, ["accounts.read"])
    answer = client.get(url, {"entries": "1"}, HTTP_AUTHORIZATION=f"Api-Key {key}").json()
    assert answer["balance"] == "1520.96"
    assert answer["up_to_last_year_end"] == "1520.96"  # nothing earns from 2026 on
    assert [y["closing"] for y in answer["years"]] == ["1020.96", "1520.96"]
    assert answer["id_number"] != account.person.id_number  # masked
    assert [e["kind"] for e in answer["entries"]] == [
        "migrated_balance",
        "interest",
        "migrated_balance",
    ]

    _, elsewhere = _system(staff, ["accounts.read"], region="140200")
    assert client.get(url, HTTP_AUTHORIZATION=f"Api-Key {elsewhere}").status_code == 404
    client.force_login(staff["caseworker"])
    assert client.get(url).status_code == 403  # staff sessions are refused


def test_crediting_shows_on_the_person_page_with_months(client, staff):
    person = make_person(staff["caseworker"].agency)
    paid_line(person, "2025-01", "5000.00", paid_on=date(2025, 2, 10))
    from accounts import runs

    run = runs.crediting_run_create(
        actor=staff["province_accountant"], region="140000", period="2025-02"
    )
    runs.crediting_run_execute(run.pk)
    assert AccountEntry.objects.filter(account__person=person).count() == 1
    client.force_login(staff["caseworker"])
    page = client.get(f"/enrollment/people/{person.pk}/").content.decode()
    assert 'id="account-balance">400.00<' in page


def test_the_person_page_charts_the_balance_by_year(client, staff, account):
    """Issue 15: the balance year by year as a chart, with the exact figures: 2024
    1000.00 brought in + interest 20.96 = 1020.96; 2025 + 500.00 = 1520.96 (entries
    that are not contribution credits: the credits series stays 0.00)."""
    import json
    import re

    client.force_login(staff["caseworker"])
    page = client.get(f"/enrollment/people/{account.person_id}/").content.decode()
    match = re.search(
        r'<script id="account-balance-chart" type="application/json">(.*?)</script>', page, re.S
    )
    assert match
    figures = json.loads(match.group(1))
    assert figures["categories"] == ["2024", "2025"]
    balance, credits, interest = figures["series"]
    assert balance["values"] == ["1020.96", "1520.96"]
    assert credits["values"] == ["0.00", "0.00"]
    assert interest["values"] == ["20.96", "0.00"]


def test_the_statement_prints_as_pdf_with_the_figures_of_the_page(client, staff, account):
    from pension.models import ChangeLogEntry
    from pension.tests.pdfs import pdf_text

    client.force_login(staff["caseworker"])
    page = client.get(f"/pension-accounts/{account.pk}/statement/2024/").content.decode()
    url = f"/pension-accounts/{account.pk}/statement/2024/pdf"
    assert f'href="{url}"' in page
    before = ChangeLogEntry.objects.filter(action="export").count()
    response = client.get(url)
    text = pdf_text(response)
    person = account.person
    assert "2024 年度个人账户对账单" in text
    assert person.name in text and person.id_number in text  # a caseworker sees it whole
    # 2024: nothing brought forward, 1 000.00 migrated in, 20.96 interest → 1 020.96
    assert "上年末累计储存额 0.00" in text
    assert "利息 20.96" in text
    assert "其他记录 1,000.00" in text
    assert "本年末累计储存额 1,020.96" in text
    assert ChangeLogEntry.objects.filter(action="export").count() == before + 1
    # a year without entries, anonymous, a role without the section
    assert client.get(f"/pension-accounts/{account.pk}/statement/2019/pdf").status_code == 404
    client.force_login(staff["city_budget"])
    assert client.get(url).status_code == 403
    client.logout()
    assert client.get(url).status_code == 302


def test_the_statement_pdf_masks_the_id_for_a_role_without_it_and_refuses_another_province(
    client, staff, account
):
    from pension.tests.pdfs import foreign_caseworker, pdf_text

    client.force_login(staff["city_accountant"])  # a fund accountant: masked numbers
    text = pdf_text(client.get(f"/pension-accounts/{account.pk}/statement/2024/pdf"))
    assert account.person.name in text and account.person.id_number not in text
    client.force_login(foreign_caseworker())  # 长春市: not the person's province
    assert client.get(f"/pension-accounts/{account.pk}/statement/2024/pdf").status_code == 403
