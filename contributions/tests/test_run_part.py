"""County staff read the assessment runs of the regions above theirs (the province's),
read-only and only their county's part, and every run's lines page by page with
filters (issue 15); acting on such a run still needs it in their own region."""

from __future__ import annotations

import re
from decimal import Decimal as D

import pytest
from django.conf import settings

from accounts.tests.factories import make_person
from contributions.choices import LineKind, RunStatus
from contributions.models import AssessmentRun, ContributionLine
from pension.periods import Period

pytestmark = pytest.mark.django_db


@pytest.fixture
def province_run(staff):
    """A released province run of 2025-06 with three flexible contributors at 20 %
    (8 % to the account): two of the caseworker's county (5 000.00 and 6 000.00) and one
    of a county of 大同市 (7 000.00)."""
    run = AssessmentRun.objects.create(
        period=Period(2025, 6), region_id="140000", status=RunStatus.RELEASED, line_count=3,
        bill_count=3, total_base=D("18000.00"), total_employer=D("0.00"),
        total_individual=D("3600.00"), total_account=D("1440.00"),
    )  # fmt: skip
    people = [
        make_person(staff["caseworker"].agency, name="本县甲"),
        make_person(staff["caseworker"].agency, name="本县乙"),
        make_person(staff["other_caseworker"].agency, name="外县丙"),
    ]
    for person, base in zip(people, ("5000.00", "6000.00", "7000.00"), strict=True):
        base = D(base)
        ContributionLine.objects.create(
            run=run, posted=True, period=run.period, person=person, kind=LineKind.REGULAR,
            base=base, employer_rate=D("0"), individual_rate=D("0.20"), account_rate=D("0.08"),
            employer_amount=D("0.00"), individual_amount=base * D("0.20"),
            account_credit=base * D("0.08"),
        )  # fmt: skip
    return run


def _page(client, url, **query) -> str:
    response = client.get(url, query)
    assert response.status_code == 200, (url, response.status_code)
    return " ".join(response.content.decode().split())


def test_a_county_caseworker_reads_the_province_run_their_part_only(client, staff, province_run):
    client.force_login(staff["caseworker"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    run_url = f"/contributions/assessment-runs/{province_run.pk}/"
    assert f'href="{run_url}"' in _page(client, "/contributions/assessment-runs/")
    html = _page(client, run_url)
    assert 'id="part"' in html
    # 5 000.00 + 6 000.00 = 11 000.00; 20 %: 1 000.00 + 1 200.00; 8 %: 400.00 + 480.00
    assert '<td class="num" id="part-lines">2</td>' in html
    assert '<td class="num" id="part-base">11,000.00</td>' in html
    assert '<td class="num" id="part-individual">2,200.00</td>' in html
    assert '<td class="num" id="part-account">880.00</td>' in html
    assert "18,000.00" not in html  # not the province's totals
    for action in ("start", "approve", "release", "discard"):
        assert f'id="{action}"' not in html
    # the lines: theirs only
    lines = _page(client, f"{run_url}lines/")
    assert "本县甲" in lines and "本县乙" in lines and "外县丙" not in lines
    assert '<span class="count">2 rows</span>' in lines
    assert "Employer amount of the lines listed: 0.00; individual amount: 2,200.00" in lines
    # nor can they act on it
    response = client.post(f"{run_url}release")
    assert response.status_code == 404
    province_run.refresh_from_db()
    assert province_run.status == RunStatus.RELEASED


def test_another_county_sees_its_own_part_and_the_province_the_whole(client, staff, province_run):
    run_url = f"/contributions/assessment-runs/{province_run.pk}/"
    client.force_login(staff["other_caseworker"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = _page(client, run_url)
    assert '<td class="num" id="part-base">7,000.00</td>' in html
    lines = _page(client, f"{run_url}lines/")
    assert "外县丙" in lines and "本县甲" not in lines
    # the province's reviewer: the whole run, the ordinary page, every line
    client.force_login(staff["province_reviewer"])
    html = _page(client, run_url)
    assert 'id="part"' not in html and f'href="{run_url}lines/"' in html
    lines = _page(client, f"{run_url}lines/")
    assert '<span class="count">3 rows</span>' in lines
    assert "Employer amount of the lines listed: 0.00; individual amount: 3,600.00" in lines


def test_the_lines_are_filtered_and_paged(client, staff, province_run):
    client.force_login(staff["province_reviewer"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    url = f"/contributions/assessment-runs/{province_run.pk}/lines/"
    other = ContributionLine.objects.get(run=province_run, person__name="外县丙").person
    html = _page(client, url, id_number=other.id_number.lower())
    assert re.findall(r'<tr data-line="\d+">', html).__len__() == 1 and "外县丙" in html
    html = _page(client, url, region=other.region_id[:4])
    assert "外县丙" in html and "本县甲" not in html
    html = _page(client, url, region="1x")
    assert 'class="error"' in html
    # 53 more contributors: 56 lines in all, 50 a page
    for n in range(53):
        person = make_person(staff["caseworker"].agency, name=f"分页{n:02d}")
        ContributionLine.objects.create(
            run=province_run, posted=True, period=province_run.period, person=person,
            kind=LineKind.REGULAR, base=D("100.00"), employer_rate=D("0"),
            individual_rate=D("0.20"), account_rate=D("0.08"), employer_amount=D("0.00"),
            individual_amount=D("20.00"), account_credit=D("8.00"),
        )  # fmt: skip
    first = _page(client, url)
    assert '<span class="count">56 rows</span>' in first and "Page 1 of 2" in first
    assert len(re.findall(r'<tr data-line="', first)) == 50
    assert len(re.findall(r'<tr data-line="', _page(client, url, page="2"))) == 6
