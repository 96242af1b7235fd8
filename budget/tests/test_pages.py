"""The budget's pages (DESIGN §5.6) on figures worked by hand: the chain's buttons only
for the role whose turn it is, execution with its alerts, final accounts, gap-sharing
with the statement per city, the scorecard with its weighted score, rank and Excel
export; the province sees every city, a city its own, a county none of the budget's;
a page outside the section is refused.

The figures: the 2026 budget (version 2, edited from the computed draft) has 太原市
contribution income 1 200.00 and pension 2 400.00, 大同市 600.00 and 600.00. The
ledger has, in 小店区 (太原市): contributions 200.00 in January and 300.00 in February,
pensions 300.00 in January; in 大同市's county: contributions 50.00 in January and
pensions 1 050.00 in March."""

from __future__ import annotations

from decimal import Decimal as D
from io import BytesIO

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from budget import calc, services
from budget.choices import BudgetStatus, SnapshotStatus
from budget.models import (
    BudgetVersion,
    CollectionTarget,
    GapPayment,
    SnapshotCollection,
    SnapshotLine,
    SnapshotRun,
)
from funds import ledger
from funds.choices import AccountKind, Counterparty, FundItem
from funds.ledger import Source, credit, debit
from pension.models import ChangeLogEntry

pytestmark = pytest.mark.django_db

FORECAST = calc.Forecast(D("0.02"), D("0.03"), D("0.05"), D("0.95"), D("0.02"))
TAIYUAN, DATONG = "140100", "140200"
PEOPLE = {
    "submit": "province_budget",
    "review_hrss": "province_head",
    "review_finance": "province_finance",
    "approve": "province_government",
}


def _draft(staff, year=2026):
    version = services.budget_draft_create(
        actor=staff["province_budget"], year=year, forecast=FORECAST
    )
    return services.budget_version_edit(
        actor=staff["province_budget"], version_id=version.pk,
        amounts={
            (TAIYUAN, "contribution_income"): D("1200.00"),
            (TAIYUAN, "pension_expenditure"): D("2400.00"),
            (DATONG, "contribution_income"): D("600.00"),
            (DATONG, "pension_expenditure"): D("600.00"),
        },
    )  # fmt: skip


def _approve(staff, version):
    for step, who in PEOPLE.items():
        version = services.budget_version_step(actor=staff[who], version_id=version.pk, step=step)
    return version


def _post(staff, region, item, amount, period, key):
    actor = staff["province_accountant"]
    if item == FundItem.PENSION:
        legs = [
            debit(ledger.fund_account_for(region=region, kind=AccountKind.EXPENSE), D(amount)),
            credit(ledger.fund_account_for(region=region, kind=AccountKind.EXPENDITURE), D(amount)),
        ]
    else:
        tax = ledger.fund_account_for(
            region=region, kind=AccountKind.CLEARING, counterparty=Counterparty.TAX
        )
        revenue = ledger.fund_account_for(region=region, kind=AccountKind.REVENUE)
        legs = [debit(tax, D(amount)), credit(revenue, D(amount))]
    ledger.post_entry(
        actor=actor, period=period, legs=legs, source=Source("test", key),
        idempotency_key=key, item=item,
    )  # fmt: skip


@pytest.fixture
def approved(staff):
    version = _approve(staff, _draft(staff))
    xiaodian = staff["county_accountant"].region
    datong_county = staff["other_caseworker"].region
    assert (xiaodian.parent_id, datong_county.parent_id) == (TAIYUAN, DATONG)
    _post(staff, xiaodian, FundItem.CONTRIBUTION_EMPLOYER, "200.00", 202601, "t1")
    _post(staff, xiaodian, FundItem.CONTRIBUTION_EMPLOYER, "300.00", 202602, "t2")
    _post(staff, xiaodian, FundItem.PENSION, "300.00", 202601, "t3")
    _post(staff, datong_county, FundItem.CONTRIBUTION_EMPLOYER, "50.00", 202601, "d1")
    _post(staff, datong_county, FundItem.PENSION, "1050.00", 202603, "d2")
    return version


def _html(response) -> str:
    assert response.status_code == 200, response.status_code
    return " ".join(response.content.decode().split())


def _row(html: str, marker: str) -> str:
    start = html.index(marker)
    return html[start : html.index("</tr>", start)].strip()


# --- the chain ---------------------------------------------------------------------------


def test_each_step_button_only_for_the_role_whose_turn_it_is(client, staff):
    version = _draft(staff)
    url = reverse("budget:version_detail", args=[version.pk])
    order = list(PEOPLE.items())
    for n, (step, who) in enumerate(order):
        for other in {w for _s, w in order} - {who}:
            client.force_login(staff[other])
            page = _html(client.get(url))
            assert 'id="step"' not in page, (step, other)
            # a post out of turn is refused by the service and changes nothing
            client.post(reverse("budget:version_step", args=[version.pk, step]))
            version.refresh_from_db()
            assert version.status == [BudgetStatus.DRAFT, BudgetStatus.SUBMITTED,
                                      BudgetStatus.HRSS_REVIEWED,
                                      BudgetStatus.FINANCE_REVIEWED][n], (step, other)  # fmt: skip
        client.force_login(staff[who])
        page = _html(client.get(url))
        assert f'action="/budget/versions/{version.pk}/step/{step}"' in page
        client.post(reverse("budget:version_step", args=[version.pk, step]))
    version.refresh_from_db()
    assert version.status == BudgetStatus.APPROVED
    page = _html(client.get(url))
    assert 'id="step"' not in page and 'id="locked"' in page and "已由政府批准" in page
    assert 'id="lines-form"' not in page  # locked: no editing


def test_the_draft_page_shows_assumptions_and_saves_an_edit_as_the_next_version(client, staff):
    client.force_login(staff["province_budget"])
    response = client.post(reverse("budget:version_draft"), {
        "year": 2027, "insured_growth": "0.02", "contributor_growth": "0.03",
        "wage_growth": "0.05", "collection_rate": "0.95", "adjustment_rate": "0.02",
    })  # fmt: skip
    version = BudgetVersion.objects.get(budget__year=2027, number=1)
    assert response.url == reverse("budget:version_detail", args=[version.pk])
    page = _html(client.get(response.url))
    assert '<td>工资增长率</td><td class="num">5.00%</td>' in page
    assert '<td>征缴率</td><td class="num">95.00%</td>' in page
    assert 'id="lines-form"' in page
    form = {f"{code}-{item}": "0" for code in (TAIYUAN, DATONG) for item in (
        "contribution_income", "fiscal_subsidy", "interest_income", "transfer_in",
        "other_income", "pension_expenditure", "survivor_expenditure", "transfer_out",
        "other_expenditure")}  # fmt: skip
    # the province's other cities keep their amounts (not posted: the form needs them all)
    for name, field in client.get(response.url).context["lines_form"].fields.items():
        form.setdefault(name, str(field.initial))
    form[f"{TAIYUAN}-contribution_income"] = "1234.56"
    form["note"] = "太原市调增"
    response = client.post(reverse("budget:version_lines", args=[version.pk]), form)
    edited = BudgetVersion.objects.get(budget__year=2027, number=2)
    assert response.url == reverse("budget:version_detail", args=[edited.pk])
    page = _html(client.get(response.url))
    assert "1,234.56" in page and edited.note == "太原市调增"
    # side by side: the change is the edit
    page = _html(client.get(reverse("budget:version_compare"),
                            {"versions": [version.pk, edited.pk]}))  # fmt: skip
    row = _row(page, 'data-item="contribution_income"')
    assert row.endswith('<td class="num" data-change>1,234.56</td>')


def test_the_projection_page_has_five_years_and_its_assumptions(client, staff):
    version = _draft(staff)
    client.force_login(staff["province_budget"])
    page = _html(client.get(reverse("budget:version_projection", args=[version.pk])))
    # the draft's totals: income 1 800.00, expenditure 3 000.00, no ledger: opening 0,
    # so the first year ends at −1 200.00 with −1 200 ÷ (3 000 ÷ 12) = −4.8 months
    row = _row(page, 'data-year="2026"')
    assert "1,800.00" in row and "3,000.00" in row and "-1,200.00" in row and "-4.8" in row
    assert page.count("data-year=") == 5
    assert 'data-chart="projection"' in page and 'data-chart="reserve-months"' in page
    assert "2.00%" in page  # the adjustment rate among the assumptions


# --- execution, final accounts, gap-sharing ----------------------------------------------


def test_execution_alerts_at_the_threshold_by_city_and_item(client, staff, approved):
    client.force_login(staff["province_budget"])
    page = _html(client.get(reverse("budget:execution"), {"year": 2026, "month": 2}))
    # elapsed 2 ÷ 12 = 16.67 %; threshold 10 %
    # 太原 contributions 500 ÷ 1 200 = 41.67 %: alert; pensions 300 ÷ 2 400 = 12.50 %: none
    row = _row(page, f'data-region="{TAIYUAN}" data-item="contribution_income"')
    assert 'class="alert"' in row and "500.00" in row and "41.67%" in row and "16.67%" in row
    row = _row(page, f'data-region="{TAIYUAN}" data-item="pension_expenditure"')
    assert 'class="alert"' not in row and "12.50%" in row
    # 大同 contributions 50 ÷ 600 = 8.33 %: none; pensions 0 ÷ 600 = 0: alert (16.67 % off)
    row = _row(page, f'data-region="{DATONG}" data-item="contribution_income"')
    assert 'class="alert"' not in row and "8.33%" in row
    row = _row(page, f'data-region="{DATONG}" data-item="pension_expenditure"')
    assert 'class="alert"' in row
    assert 'id="alerts">2条明细超出预警线。' in page
    # the monthly table: January revenue 250.00, February 300.00; a twelfth of the
    # revenue budget (1 800 + the other cities' 0) = 150.00
    january = _row(page, 'data-month="1"')
    assert ">250.00<" in january and ">150.00<" in january and ">300.00<" in january
    assert 'data-chart="execution"' in page
    # filtered to one city and item
    page = _html(client.get(reverse("budget:execution"), {
        "year": 2026, "month": 2, "region": DATONG, "item": "pension_expenditure"}))  # fmt: skip
    assert page.count("data-item=") == 1


def test_a_city_sees_only_its_own_lines_and_a_county_none(client, staff, approved):
    client.force_login(staff["city_budget"])  # 太原市
    page = _html(client.get(reverse("budget:execution"), {"year": 2026, "month": 2}))
    assert f'data-region="{TAIYUAN}"' in page and f'data-region="{DATONG}"' not in page
    page = _html(client.get(reverse("budget:version_detail", args=[approved.pk])))
    assert f'<th data-region="{TAIYUAN}">' in page and f'data-region="{DATONG}"' not in page
    page = _html(client.get(reverse("budget:gap_sharing"), {"year": 2026}))
    assert f'data-region="{TAIYUAN}"' in page and f'data-region="{DATONG}"' not in page
    assert 'id="gap-total"' not in page  # the province's total is the province's
    client.force_login(staff["county_accountant"])
    page = _html(client.get(reverse("budget:version_detail", args=[approved.pk])))
    assert "data-region=" not in page and "1,200.00" not in page


def test_final_accounts_in_the_budget_layout(client, staff, approved):
    client.force_login(staff["province_head"])
    page = _html(client.get(reverse("budget:final_accounts"), {"year": 2026}))
    final = page[page.index('id="final-accounts"') : page.index('id="final-budget"')]
    # 太原 500.00 revenue, 300.00 pension: surplus 200.00; 大同 50.00 and 1 050.00: −1 000.00
    contribution = _row(final, 'data-item="contribution_income"')
    assert ">500.00<" in contribution and ">50.00<" in contribution
    assert contribution.endswith('<td class="num" data-total>550.00</td>')
    assert "-1,000.00" in final and "-800.00" in final  # the province: 550 − 1 350
    assert "1,200.00" in page[page.index('id="final-budget"') :]


def test_gap_sharing_statement_owed_and_paid(client, staff, approved):
    client.force_login(staff["province_budget"])
    response = client.post(reverse("budget:gap_payment"), {
        "year": "2026", "region": DATONG, "payer": "province", "amount": "60.00",
        "paid_on": "2027-01-15"})  # fmt: skip
    assert response.status_code == 302 and GapPayment.objects.get().amount == D("60.00")
    page = _html(client.get(reverse("budget:gap_sharing"), {"year": 2026}))
    datong = page[page.index(f'data-region="{DATONG}"') :]
    datong = datong[: datong.index("</section>")]
    # 大同's gap 1 050 − 50 = 1 000.00: pooled 80 % = 800.00, governments 200.00 split
    # province 50 % = 100.00 (60.00 paid, 40.00 outstanding), city 50.00, counties 50.00
    assert "<strong data-gap>1,000.00</strong>" in datong
    assert '<td>基金统筹结余</td><td class="num">800.00</td>' in datong or "800.00" in datong
    assert '>100.00</td><td class="num">60.00</td><td class="num">40.00<' in datong
    assert datong.count(">50.00<") == 4  # owed and outstanding, city and counties
    taiyuan = page[page.index(f'data-region="{TAIYUAN}"') :]
    assert "<strong data-gap>0.00</strong>" in taiyuan[: taiyuan.index("</section>")]
    # 大同 misses a target of 1 000 000.00 (nothing collected in the snapshots): it carries
    # its own gap, city and counties 25 : 25, 500.00 each
    CollectionTarget.objects.create(year=2026, region_id=DATONG, collection_amount=D("1000000"),
                                    set_by=staff["province_budget"])  # fmt: skip
    page = _html(client.get(reverse("budget:gap_sharing"), {"year": 2026}))
    datong = page[page.index(f'data-region="{DATONG}"') :]
    datong = datong[: datong.index("</section>")]
    assert "自行承担" in datong and datong.count(">500.00<") == 4


# --- scorecards ---------------------------------------------------------------------------


@pytest.fixture
def snapshot(staff, approved):
    """The June 2026 snapshot: 小店区 10 insured, 8 contributors, 4 retirees (pensions
    12 000.00), 1 000.00 assessed, 900.00 collected; 大同's county 5 insured, all
    contributing, 100.00 assessed and collected. 太原市's target: 12 000.00 a year and
    20 insured."""
    run = SnapshotRun.objects.create(
        period=202606, region_id="140000", status=SnapshotStatus.CALCULATED,
        insured_count=15, contributor_count=13, retiree_count=4,
    )  # fmt: skip
    xiaodian = staff["county_accountant"].region.code
    datong_county = staff["other_caseworker"].region.code
    SnapshotLine.objects.create(run=run, period=202606, region_id=xiaodian, age_band=40, sex="M",
                                insured=10, contributors=8)  # fmt: skip
    SnapshotLine.objects.create(run=run, period=202606, region_id=xiaodian, age_band=60,
                                sex="F", retirees=4, new_retirees=1,
                                pension_total=D("12000.00"))  # fmt: skip
    SnapshotLine.objects.create(run=run, period=202606, region_id=datong_county, age_band=30,
                                sex="F", insured=5, contributors=5)  # fmt: skip
    SnapshotCollection.objects.create(run=run, period=202606, region_id=xiaodian,
                                      assessed=D("1000.00"), collected=D("900.00"))  # fmt: skip
    SnapshotCollection.objects.create(run=run, period=202606, region_id=datong_county,
                                      assessed=D("100.00"), collected=D("100.00"))  # fmt: skip
    CollectionTarget.objects.create(year=2026, region_id=TAIYUAN, collection_amount=D("12000"),
                                    insured_target=20, set_by=staff["province_budget"])  # fmt: skip
    return run


def test_scorecard_page_weighted_score_rank_chart_and_export(client, staff, snapshot):
    client.force_login(staff["province_budget"])
    query = {"year": 2026, "month": 6, "level": "city"}
    page = _html(client.get(reverse("budget:scorecards"), query))
    # 太原: collection budget 900 ÷ 1 000 = 90 %, remittance 500 ÷ 100 = 500 % (counted as
    # 100 %), enrollment 10 ÷ 20 = 50 %, collection rate 90 %, contribution rate 80 %,
    # subsidy not available: (0.25×0.9 + 0.15×1 + 0.15×0.5 + 0.20×0.9 + 0.15×0.8) ÷ 0.90
    # = 0.75 ÷ 0.90 = 83.33
    taiyuan = _row(page, f'data-region="{TAIYUAN}"')
    assert '<td class="num" data-score>83.33</td>' in taiyuan
    assert '<td class="num" data-indicator="collection_budget">90.00%</td>' in taiyuan
    assert '<td class="num" data-indicator="remittance">500.00%</td>' in taiyuan
    assert '<td class="num" data-indicator="subsidy_arrival">—</td>' in taiyuan
    assert taiyuan.startswith(f'data-region="{TAIYUAN}"> <td class="num">2</td>')
    assert "3,000.00" in taiyuan  # the average pension 12 000 ÷ 4
    # 大同: remittance 50 ÷ 50, collection rate 100 %, contribution rate 100 %: 100.00, first
    datong = _row(page, f'data-region="{DATONG}"')
    assert "data-score>100.00<" in datong and datong.startswith(
        f'data-region="{DATONG}"> <td class="num">1</td>'
    )
    assert page.index(f'data-region="{DATONG}"') < page.index(f'data-region="{TAIYUAN}"')
    assert 'data-chart="scorecard"' in page
    assert "男 40至49岁: 10" in page and "女 60至69岁: 4" in page
    response = client.get(reverse("budget:scorecard_export"), query)
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = list(load_workbook(BytesIO(response.content)).active.iter_rows(values_only=True))
    by_code = {r[1]: r for r in rows[2:]}
    assert by_code[TAIYUAN][0] == 2 and D(str(by_code[TAIYUAN][3])) == D("83.33")
    assert by_code[DATONG][0] == 1 and D(str(by_code[DATONG][3])) == D("100.00")


def test_a_county_sees_its_own_scorecard_only(client, staff, snapshot):
    client.force_login(staff["county_accountant"])
    page = _html(client.get(reverse("budget:scorecards"), {"year": 2026, "month": 6}))
    xiaodian = staff["county_accountant"].region.code
    assert f'data-region="{xiaodian}"' in page
    assert f'data-region="{staff["other_caseworker"].region.code}"' not in page
    assert f'data-region="{TAIYUAN}"' not in page


# --- targets, refusals --------------------------------------------------------------------


def test_targets_set_by_a_budget_officer_of_the_region_and_listed(client, staff):
    client.force_login(staff["city_budget"])
    client.post(reverse("budget:target_set"), {
        "year": 2026, "region": "140105", "collection_amount": "123456.78",
        "insured_target": 900})  # fmt: skip
    target = CollectionTarget.objects.get(year=2026, region_id="140105")
    assert target.collection_amount == D("123456.78")
    assert ChangeLogEntry.objects.filter(object_type="budget.collectiontarget").count() == 1
    page = _html(client.get(reverse("budget:target_list"), {"year": 2026}))
    assert "123,456.78" in page
    # Datong is outside the city's region: not in the form, and refused
    response = client.post(
        reverse("budget:target_set"),
        {"year": 2026, "region": "140200", "collection_amount": "1", "insured_target": 1},
    )
    assert response.status_code == 302
    assert not CollectionTarget.objects.filter(region_id="140200").exists()
    client.force_login(staff["other_caseworker"])  # no budget section
    assert client.get(reverse("budget:target_list")).status_code == 403


def test_the_section_is_refused_outside_its_roles_and_anonymous_sent_to_sign_in(client, staff):
    version = _draft(staff)
    urls = [
        reverse("budget:version_list"), reverse("budget:version_detail", args=[version.pk]),
        reverse("budget:execution"), reverse("budget:scorecards"),
        reverse("budget:gap_sharing"), reverse("budget:final_accounts"),
    ]  # fmt: skip
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith("/login/"), url
    client.force_login(staff["caseworker"])
    for url in urls:
        assert client.get(url).status_code == 403, url
    response = client.post(reverse("budget:version_step", args=[version.pk, "submit"]))
    assert response.status_code == 403
    version.refresh_from_db()
    assert version.status == BudgetStatus.DRAFT
    # a city's budget officer may not draft or edit (the province's does)
    client.force_login(staff["city_budget"])
    page = _html(client.get(reverse("budget:version_list")))
    assert 'id="draft-form"' not in page
    client.post(reverse("budget:version_lines", args=[version.pk]), {"note": "x"})
    assert BudgetVersion.objects.filter(budget=version.budget).count() == 2
