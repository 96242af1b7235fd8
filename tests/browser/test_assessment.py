"""Issue 5's flow in a real browser, on a real Celery worker: upload an employer's
base declaration sheet, create and start an assessment run (the progress bar polls
until the worker has calculated it), approve it as a second person (the reviewer),
release it to the tax bureau, and see the employer's bill and its arrears on the
statement page.

The figures, by hand (Shanxi 2025 limits 4198–20991; employer 16 %, individual and
account 8 %, each rounded to the fen):

- 张低 declares 3500.00 → raised to the floor 4198.00: 671.68 / 335.84 / 335.84
- 李高 declares 25000.00 → lowered to the ceiling 20991.00: 3358.56 / 1679.28 / 1679.28
- the bill of 2025-03: employer 671.68 + 3358.56 = 4030.24, individual 335.84 + 1679.28
  = 2015.12, total 6045.36, due 2025-04-15 (the 15th of the following month).

Unpaid, the whole bill is arrears; the late fee is 0.05 % a day from 2025-04-16
through today: on 2026-12-01 that is 595 days, 6045.36 × 0.0005 × 595 = 1798.49.
"""

from __future__ import annotations

import io
import re
from datetime import date
from decimal import Decimal as D

import pytest
from openpyxl import Workbook

from contributions.models import AssessmentRun
from enrollment import services as enrollment
from enrollment.choices import EmployerKind, PersonCategory
from enrollment.tests.helpers import citizen_id, credit_code
from pension.models import Region
from pension.money import format_money
from pension.periods import Period
from tests.browser.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

COUNTY = "140105"
LOW = citizen_id(COUNTY, "19850715", 21)
HIGH = citizen_id(COUNTY, "19800302", 23)


@pytest.fixture
def employer(staff):
    """An employer of 小店区 with two employees from 2024-01, and no bases yet."""
    actor = staff["caseworker"]
    county = Region.objects.get(code=COUNTY)
    employer = enrollment.employer_register(
        actor=actor,
        credit_code=credit_code("91140105MA0KC0005"),
        name="太原核定演示有限公司",
        kind=EmployerKind.ENTERPRISE,
        region=county,
    )
    for number, name in ((LOW, "张低"), (HIGH, "李高")):
        person = enrollment.person_register(
            actor=actor,
            id_number=number,
            name=name,
            category=PersonCategory.EMPLOYEE,
            region=county,
            first_insured_date=date(2010, 1, 1),
        )
        enrollment.employment_add(
            actor=actor, employer=employer, person=person, start=Period(2024, 1)
        )
    return employer


def _sheet(path) -> str:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["公民身份号码", "姓名", "上年月平均工资", "基数类型"])
    sheet.append([LOW, "张低", 3500, "上年平均"])
    sheet.append([HIGH, "李高", 25000, "上年平均"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    path.write_bytes(buffer.getvalue())
    return str(path)


def test_declare_bases_assess_approve_release_and_see_the_arrears(
    page, employer, celery_worker, demo_password, tmp_path
):
    sign_in(page, "caseworker", demo_password)

    # 1. the base declaration sheet
    page.goto(f"/contributions/employers/{employer.pk}/bases/import/")
    page.fill("#id_year", "2025")
    page.set_input_files("#id_file", _sheet(tmp_path / "缴费基数申报.xlsx"))
    page.click("main form.upload button[type=submit]")
    assert "已导入 2025 年缴费基数 2 条" in page.locator("main").inner_text()
    roster = page.locator("#roster tbody")
    low = roster.locator("tr", has_text="张低").inner_text()
    high = roster.locator("tr", has_text="李高").inner_text()
    assert "3,500.00" in low and "4,198.00" in low and "按下限" in low
    assert "25,000.00" in high and "20,991.00" in high and "按上限" in high
    assert page.locator("#base-total").inner_text() == "25,189.00"  # 4198 + 20991

    # 2. a live run of 2025-03 for the county, started: the worker calculates it
    page.goto("/contributions/assessment-runs/new/")
    page.fill("#id_period", "2025-03")
    page.select_option("#id_region", COUNTY)
    page.uncheck("#id_dry_run")
    page.click("main button[type=submit]")
    assert page.locator("#run-status").inner_text() == "草稿"
    run = AssessmentRun.objects.get()
    assert (run.period, run.region_id, run.dry_run) == (Period(2025, 3), COUNTY, False)
    page.click("#start")
    # the progress bar polls every 2 s and reloads the page when the run has finished
    page.wait_for_function(
        "() => document.querySelector('#run-status').textContent.trim() === '已计算'",
        timeout=60_000,
    )
    bar = page.locator("#run-progress progress")
    assert bar.get_attribute("value") == "100" and bar.get_attribute("max") == "100"
    progress = re.fullmatch(
        r"已处理 (\d+) / (\d+) 人（100%） · 已计算",
        page.locator("#run-progress span").inner_text().strip(),
    )
    assert progress is not None and progress[1] == progress[2]
    assert page.locator("#run-progress").get_attribute("hx-get") is None  # polling stopped
    # lines, bills, total base, employer, individual, account credit, without a base
    totals = page.locator("#totals tbody td").all_inner_texts()
    # the line count links to the run's lines page ("2 · 本批次的缴费明细")
    totals[0] = totals[0].split(" ·")[0]
    assert totals[:6] == ["2", "1", "25,189.00", "4,030.24", "2,015.12", "2,015.12"]
    assert page.locator("#approve").count() == 0  # the starter cannot approve
    assert "王经办" in page.locator("#run-started-by").inner_text()

    # 3. a second person approves: the reviewer of the county
    page.click("button.link")  # sign out
    sign_in(page, "reviewer", demo_password)
    page.goto(f"/contributions/assessment-runs/{run.pk}/")
    page.click("#approve")
    assert page.locator("#run-status").inner_text() == "已通过"
    assert "李复核" in page.locator("#status").inner_text()

    # 4. the caseworker releases it to the tax bureau
    page.click("button.link")
    sign_in(page, "caseworker", demo_password)
    page.goto(f"/contributions/assessment-runs/{run.pk}/")
    page.click("#release")
    assert page.locator("#run-status").inner_text() == "已下发税务"

    # 5. the employer's statement: the bill of 2025-03, unpaid, in arrears
    page.goto(f"/contributions/employers/{employer.pk}/statement/")
    today = date.fromisoformat(page.locator("#as-of").inner_text())
    days = (today - date(2025, 4, 15)).days  # 2026-12-01: 595
    fee = (D("6045.36") * D("0.0005") * days).quantize(D("0.01"))  # 2026-12-01: 1798.49
    cells = page.locator("#period-2025-03 td").all_inner_texts()
    assert cells == [
        "2025-03",
        "2025-04-15",
        "6,045.36",
        "0.00",
        "6,045.36",
        str(days),
        format_money(fee),
        "0.00",
    ]
    assert page.locator("#total-assessed").inner_text() == "6,045.36"
    assert page.locator("#total-paid").inner_text() == "0.00"
    assert page.locator("#total-arrears").inner_text() == "6,045.36"
    assert page.locator("#total-late-fee-due").inner_text() == format_money(fee)
    assert "尚未收到缴款。" in page.locator("#payments").inner_text()
