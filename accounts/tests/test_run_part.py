"""County staff read the province's account runs (crediting, interest), read-only and
only their county's part; an interest run's lines are filtered and paged (issue 15)."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from django.conf import settings

from accounts.choices import EntryKind, RunKind, RunStatus
from accounts.models import AccountEntry, AccountRun, InterestLine
from accounts.tests.factories import account_with, make_person

pytestmark = pytest.mark.django_db


def _account(agency, name: str, balance: str):
    return account_with(make_person(agency, name=name), [("migrated_balance", "2024-01", balance)])


@pytest.fixture
def interest_run(staff):
    """The province's interest run of 2024 at 2.62 % on three balances brought in on
    2024-01 (no credits of the year): 10 000.00 → 262.00 and 20 000.00 → 524.00 in the
    caseworker's county, 30 000.00 → 786.00 in a county of 大同市."""
    run = AccountRun.objects.create(
        kind=RunKind.INTEREST, year=2024, region_id="140000", status=RunStatus.CALCULATED,
        rate=D("0.0262"), dry_run=True, account_count=3, total_amount=D("1572.00"),
    )  # fmt: skip
    for agency, name, opening, interest in (
        (staff["caseworker"].agency, "本县账户甲", "10000.00", "262.00"),
        (staff["caseworker"].agency, "本县账户乙", "20000.00", "524.00"),
        (staff["other_caseworker"].agency, "外县账户丙", "30000.00", "786.00"),
    ):
        account = _account(agency, name, opening)
        InterestLine.objects.create(
            run=run, account=account, opening=D(opening), credits=D("0.00"),
            weighted=D("0.00"), interest=D(interest), already_posted=D("0.00"),
            posted_amount=D(interest), closing=D(opening) + D(interest),
        )  # fmt: skip
    return run


def _html(client, url, **query) -> str:
    response = client.get(url, query)
    assert response.status_code == 200, (url, response.status_code)
    return " ".join(response.content.decode().split())


def test_a_county_reads_its_part_of_the_province_interest_run(client, staff, interest_run):
    client.force_login(staff["caseworker"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    url = f"/pension-accounts/runs/{interest_run.pk}/"
    assert f'href="{url}"' in _html(client, "/pension-accounts/runs/")
    html = _html(client, url)
    assert 'id="part"' in html
    # 262.00 + 524.00 = 786.00 over two accounts
    assert '<td class="num" id="part-accounts">2</td>' in html
    assert '<td class="num" id="part-interest">786.00</td>' in html
    assert '<td class="num" id="part-total">786.00</td>' in html
    assert "1,572.00" not in html  # not the province's total
    assert "本县账户甲" in html and "本县账户乙" in html and "外县账户丙" not in html
    assert 'id="discard"' not in html and 'id="approve"' not in html
    assert client.post(f"{url}discard").status_code == 404
    interest_run.refresh_from_db()
    assert interest_run.status == RunStatus.CALCULATED
    client.force_login(staff["other_caseworker"])
    html = _html(client, url)
    assert '<td class="num" id="part-total">786.00</td>' in html and "外县账户丙" in html
    assert "本县账户甲" not in html


def test_a_county_reads_its_part_of_the_province_crediting_run(client, staff):
    run = AccountRun.objects.create(
        kind=RunKind.CREDITING, period="2025-03", region_id="140000", status=RunStatus.POSTED
    )
    first = _account(staff["caseworker"].agency, "本县记账甲", "100.00")
    second = _account(staff["caseworker"].agency, "本县记账乙", "100.00")
    theirs = _account(staff["other_caseworker"].agency, "外县记账", "100.00")
    for account, amount in ((first, "480.00"), (second, "400.00"), (theirs, "999.00")):
        AccountEntry.objects.create(
            account=account, kind=EntryKind.MIGRATED_BALANCE, period="2025-03",
            value_period="2025-03", amount=D(amount), run=run,
        )  # fmt: skip
    client.force_login(staff["caseworker"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = _html(client, f"/pension-accounts/runs/{run.pk}/")
    # two accounts, an entry each, 480.00 + 400.00
    assert '<td class="num" id="part-accounts">2</td>' in html
    assert '<td class="num" id="part-entries">2</td>' in html
    assert '<td class="num" id="part-total">880.00</td>' in html


def test_the_interest_lines_are_filtered_and_paged(client, staff, interest_run):
    client.force_login(staff["province_reviewer"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    url = f"/pension-accounts/runs/{interest_run.pk}/"
    html = _html(client, url)
    assert 'id="part"' not in html and '<span class="count">3 rows</span>' in html
    html = _html(client, url, name="外县")
    assert "外县账户丙" in html and "本县账户甲" not in html
    other = InterestLine.objects.get(run=interest_run, account__person__name="外县账户丙")
    html = _html(client, url, id_number=other.account.person.id_number)
    assert '<span class="count">1 row</span>' in html
    html = _html(client, url, region=staff["caseworker"].region.code)
    assert '<span class="count">2 rows</span>' in html
    for n in range(50):
        account = _account(staff["caseworker"].agency, f"分页{n:02d}", "100.00")
        InterestLine.objects.create(
            run=interest_run, account=account, opening=D("100.00"), credits=D("0.00"),
            weighted=D("0.00"), interest=D("2.62"), already_posted=D("0.00"),
            posted_amount=D("2.62"), closing=D("102.62"),
        )  # fmt: skip
    html = _html(client, url)
    assert '<span class="count">53 rows</span>' in html and "Page 1 of 2" in html
    assert html.count('<tr data-line="') == 50
