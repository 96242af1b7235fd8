"""Excel import of additions and removals (增员/减员) and export of the roster
(DESIGN §2.5, §5.1). Workbooks are built in memory with openpyxl."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import pytest
from django.conf import settings
from django.utils import translation
from openpyxl import Workbook, load_workbook

from enrollment import excel, services
from enrollment.choices import EmployerKind, PersonCategory, PersonStatus
from enrollment.models import Employment, InsuredPerson
from pension.errors import Conflict, InvalidInput, NotPermitted
from pension.models import ChangeLogEntry, Region
from pension.periods import Period
from pension.validators import citizen_id_check_character, credit_code_check_character

pytestmark = pytest.mark.django_db

HEADERS = ["公民身份号码", "姓名", "变动类型", "生效年月", "减员原因"]


def citizen_id(birth: str, sequence: str, region: str = "140105") -> str:
    first17 = region + birth + sequence
    return first17 + citizen_id_check_character(first17)


def credit_code(serial: str) -> str:
    first17 = "91140105MA0K" + serial
    return first17 + credit_code_check_character(first17)


def sheet(rows: Sequence[Sequence[Any]], headers: Sequence[str] = HEADERS) -> io.BytesIO:
    workbook = Workbook()
    worksheet = workbook.active
    worksheet.append(list(headers))
    for row in rows:
        worksheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    buffer.name = "roster.xlsx"
    return buffer


# people of the tests: the sequence's last digit is odd for men
ID_A = citizen_id("19850715", "123")  # on the roster since 2024-01
ID_B = citizen_id("19900302", "246")  # registered, not employed
ID_C = citizen_id("19951120", "357")  # not registered
ID_D = citizen_id("20000101", "468")  # not registered
ID_E = citizen_id("19780808", "135")  # on another employer's roster


@pytest.fixture
def world(staff):
    caseworker = staff["caseworker"]
    county = Region.objects.get(code="140105")
    employer = services.employer_register(
        actor=caseworker,
        credit_code=credit_code("00001"),
        name="太原示例机械有限公司",
        kind=EmployerKind.ENTERPRISE,
        region=county,
    )
    other = services.employer_register(
        actor=caseworker,
        credit_code=credit_code("00002"),
        name="小店区另一家公司",
        kind=EmployerKind.ENTERPRISE,
        region=county,
    )

    def person(number: str, name: str) -> InsuredPerson:
        return services.person_register(
            actor=caseworker,
            id_number=number,
            name=name,
            category=PersonCategory.EMPLOYEE,
            region=county,
        )

    a, b, e = person(ID_A, "张三"), person(ID_B, "李四"), person(ID_E, "王五")
    services.employment_add(actor=caseworker, employer=employer, person=a, start=Period(2024, 1))
    services.employment_add(actor=caseworker, employer=other, person=e, start=Period(2023, 6))
    return {"employer": employer, "other": other, "a": a, "b": b, "e": e, "actor": caseworker}


def counts() -> tuple[int, int, int]:
    return (
        InsuredPerson.objects.count(),
        Employment.objects.count(),
        Employment.objects.filter(stop_period__isnull=True).count(),
    )


GOOD_ROWS = [
    [ID_A, "张三", "减员", 202503, "解除劳动合同"],
    [ID_B, "李四", "增员", "202503", None],
    [ID_C, "赵六", "增员", "2025-03", None],
    [ID_D, "钱七", "增员", 202504, None],
    [None, None, None, None, None],  # blank rows at the end are ignored
    ["", " ", None, None, None],
]


def parse(rows, world, **kwargs) -> excel.RosterImport:
    with translation.override("en"):
        return excel.parse_roster_changes(sheet(rows, **kwargs), employer=world["employer"])


@pytest.mark.parametrize("bulk", [False, True], ids=["services", "copy"])
def test_a_good_sheet_adds_removes_and_registers(world, bulk):
    employer = world["employer"]
    before = counts()
    result = parse(GOOD_ROWS, world)
    assert result.errors == []
    assert [(r.row, r.kind) for r in result.rows] == [
        (2, "remove"),
        (3, "add"),
        (4, "add"),
        (5, "add"),
    ]
    assert result.data_rows == 4
    report = excel.apply_roster_changes(
        actor=world["actor"], employer=employer, result=result, bulk=bulk
    )
    assert (report.added, report.removed, report.registered, report.bulk) == (3, 1, 2, bulk)
    # 2 people registered (C, D); 3 employments created (B, C, D); A's ended: 2 open → 4 open
    assert counts() == (before[0] + 2, before[1] + 3, before[2] + 2)
    a_job = Employment.objects.get(person__id_number=ID_A)
    assert (a_job.stop_period, a_job.stop_reason) == (Period(2025, 3), "解除劳动合同")
    roster = {
        e.person.id_number: e.start_period
        for e in Employment.objects.filter(employer=employer, stop_period__isnull=True)
    }
    assert roster == {ID_B: Period(2025, 3), ID_C: Period(2025, 3), ID_D: Period(2025, 4)}
    c = InsuredPerson.objects.get(id_number=ID_C)
    assert (c.name, c.category, c.region_id, c.sex, c.birth_date.isoformat()) == (
        "赵六",
        PersonCategory.EMPLOYEE,
        "140105",
        "M",  # sequence 357: odd
        "1995-11-20",
    )
    assert c.status == PersonStatus.CONTRIBUTING
    assert InsuredPerson.objects.get(id_number=ID_D).sex == "F"  # sequence 468: even
    assert InsuredPerson.objects.get(id_number=ID_B).status == PersonStatus.CONTRIBUTING
    assert InsuredPerson.objects.get(id_number=ID_A).status == PersonStatus.INTERRUPTED
    summary = ChangeLogEntry.objects.filter(
        object_type="enrollment.employer",
        object_id=str(employer.pk),
        after__import="roster_changes",
    ).get()
    assert summary.after["file_sha256"] == result.sha256 and len(result.sha256) == 64
    assert (summary.after["added"], summary.after["removed"], summary.after["registered"]) == (
        3,
        1,
        2,
    )
    assert summary.after["written"] == ("copy" if bulk else "services")


def assert_refused_and_unchanged(world, result: excel.RosterImport, before) -> None:
    with pytest.raises(InvalidInput) as caught:
        excel.apply_roster_changes(actor=world["actor"], employer=world["employer"], result=result)
    assert caught.value.code == "import_has_errors"
    assert counts() == before
    assert Employment.objects.get(person__id_number=ID_A).stop_period is None


def test_wrong_headers_give_one_error_and_nothing_is_processed(world):
    before = counts()
    wrong = ["身份证号", "姓名", "变动类型", "生效年月"]
    result = parse(GOOD_ROWS, world, headers=wrong)
    assert result.rows == []
    assert result.errors == [
        excel.RowError(
            row=1,
            column="",
            value="身份证号 | 姓名 | 变动类型 | 生效年月",
            message=(
                "The first row must hold the headers 公民身份号码 | 姓名 | 变动类型 | 生效年月 | "
                "减员原因; it holds 身份证号 | 姓名 | 变动类型 | 生效年月. Missing columns: "
                "公民身份号码、减员原因. Columns not expected: 身份证号."
            ),
        )
    ]
    assert_refused_and_unchanged(world, result, before)


def test_text_in_the_month_cell_is_not_a_month(world):
    before = counts()
    rows = [GOOD_ROWS[0], [ID_B, "李四", "增员", "三月", None], [ID_C, "赵六", "增员", 202503.5]]
    result = parse(rows, world)
    assert result.errors == [
        excel.RowError(
            3,
            "生效年月",
            "三月",
            "“三月” is not a month; write it as YYYYMM (202503) or YYYY-MM (2025-03).",
        ),
        excel.RowError(
            4,
            "生效年月",
            "202503.5",
            "“202503.5” is not a month; write it as YYYYMM (202503) or YYYY-MM (2025-03).",
        ),
    ]
    assert [r.row for r in result.rows] == [2]  # row 2 is valid, but nothing is imported
    assert_refused_and_unchanged(world, result, before)


@pytest.mark.parametrize(
    "cell, month",
    [
        (202503, Period(2025, 3)),
        (202512.0, Period(2025, 12)),  # Excel's numbers are doubles
        ("202503", Period(2025, 3)),
        (" 2025-03 ", Period(2025, 3)),
        (datetime(2025, 3, 1), Period(2025, 3)),  # what Excel makes of a typed 2025-03
        ("三月", None),
        (202503.5, None),
        ("2025/03", None),
        ("25-03", None),
        (202513, None),
        ("2025-00", None),
        (datetime(2025, 3, 15), None),
    ],
)
def test_month_cells(world, cell, month):
    result = parse([[ID_B, "李四", "增员", cell]], world)
    if month is None:
        assert [(e.row, e.column) for e in result.errors] == [(2, "生效年月")]
        assert "is not a month" in result.errors[0].message
    else:
        assert result.errors == [] and result.rows[0].period == month


def test_duplicated_id_rows_are_both_reported(world):
    before = counts()
    rows = [
        [ID_B, "李四", "增员", 202503],
        [ID_C, "赵六", "增员", 202503],
        [ID_B.lower(), "李四", "增员", 202504],
    ]
    result = parse(rows, world)
    message = "This citizen ID number appears more than once in the sheet: rows 2, 4."
    assert result.errors == [
        excel.RowError(2, "公民身份号码", ID_B, message),
        excel.RowError(4, "公民身份号码", ID_B, message),
    ]
    assert [r.row for r in result.rows] == [3]
    assert_refused_and_unchanged(world, result, before)


def test_a_wrong_check_character_is_reported(world):
    before = counts()
    wrong = ID_C[:17] + ("0" if ID_C[17] != "0" else "1")
    result = parse([[wrong, "赵六", "增员", 202503], [ID_B, "李四", "增员", 202503]], world)
    assert result.errors == [
        excel.RowError(
            2,
            "公民身份号码",
            wrong,
            "The citizen ID number is wrong: its check character does not match the first "
            "17 characters. Check the number against the ID card.",
        )
    ]
    assert_refused_and_unchanged(world, result, before)


def test_register_and_roster_rules_row_by_row(world):
    before = counts()
    rows = [
        [ID_A, "张三", "增员", 202503],  # 2: already on this roster
        [ID_E, "王五", "增员", 202503],  # 3: on another roster
        [ID_B, "李四", "减员", 202503],  # 4: not on this roster
        [ID_C, None, "增员", 202503],  # 5: not registered, no name
        [ID_D, "钱七", "调动", 202503],  # 6: neither 增员 nor 减员
        [citizen_id("19700101", "111"), "孙八", "减员", 202503],  # 7: not registered at all
    ]
    result = parse(rows, world)
    assert [(e.row, e.column, e.message) for e in result.errors] == [
        (2, "公民身份号码", "张三 is already on this employer's roster, from 2024-01."),
        (
            3,
            "公民身份号码",
            "王五 is still on the roster of 小店区另一家公司; remove them there first.",
        ),
        (4, "公民身份号码", "This person is not on this employer's roster."),
        (5, "姓名", "This person is not registered yet; give the name to register them."),
        (6, "变动类型", "Write 增员 or 减员."),
        (7, "公民身份号码", "This person is not on this employer's roster."),
    ]
    assert result.rows == []
    assert_refused_and_unchanged(world, result, before)


def test_removal_month_name_and_reason_rules(world):
    rows = [
        [ID_A, "张三", "减员", "2024-01"],  # 2: not after the month added (2024-01)
        [ID_B, "李小四", "增员", 202503],  # 3: the register says 李四
        [ID_C, "赵六", "增员", 202503, "新入职"],  # 4: a reason on an addition
        [ID_D, "钱七", "增员", None],  # 5: month missing
    ]
    result = parse(rows, world)
    assert [(e.row, e.column, e.value, e.message) for e in result.errors] == [
        (2, "生效年月", "2024-01", "The removal month must come after the month added (2024-01)."),
        (3, "姓名", "李小四", "The register has the name 李四 for this citizen ID number."),
        (4, "减员原因", "新入职", "A reason is given only for a removal (减员)."),
        (5, "生效年月", "", "This cell is required."),
    ]


def test_valid_rows_only_imports_just_the_valid_rows(world):
    before = counts()
    rows = [
        [ID_B, "李四", "增员", 202503],
        [ID_C, "赵六", "增员", "三月"],
        [ID_D, "钱七", "增员", 202504],
    ]
    result = parse(rows, world)
    assert [e.row for e in result.errors] == [3]
    report = excel.apply_roster_changes(
        actor=world["actor"], employer=world["employer"], result=result, valid_rows_only=True
    )
    assert (report.added, report.removed, report.registered) == (2, 0, 1)
    assert counts() == (before[0] + 1, before[1] + 2, before[2] + 2)
    assert not InsuredPerson.objects.filter(id_number=ID_C).exists()
    assert Employment.objects.filter(person__id_number=ID_D, start_period=Period(2025, 4)).exists()


@pytest.mark.parametrize("bulk", [False, True], ids=["services", "copy"])
def test_a_row_failing_at_apply_time_rolls_everything_back(world, bulk):
    result = parse(GOOD_ROWS, world)
    assert result.errors == []
    # meanwhile, at the hall, 李四 is added to the other employer
    services.employment_add(
        actor=world["actor"], employer=world["other"], person=world["b"], start=Period(2025, 2)
    )
    before = counts()
    with translation.override("en"), pytest.raises(Conflict) as caught:
        excel.apply_roster_changes(
            actor=world["actor"], employer=world["employer"], result=result, bulk=bulk
        )
    assert caught.value.code == "import_failed"
    [error] = caught.value.details["errors"]
    assert (error["row"], error["column"]) == (3, "公民身份号码")
    assert "李四 is still on the roster of 小店区另一家公司" in error["message"]
    assert counts() == before
    assert Employment.objects.get(person__id_number=ID_A).stop_period is None
    assert not InsuredPerson.objects.filter(id_number__in=[ID_C, ID_D]).exists()


def test_validation_is_set_based(world, django_assert_max_num_queries):
    rows = [[citizen_id("19800101", f"{n:03d}"), f"新人{n}", "增员", 202503] for n in range(300)]
    with django_assert_max_num_queries(6):
        result = parse(rows, world)
    assert result.errors == [] and len(result.rows) == 300


def test_too_many_rows_are_refused(world, settings):
    settings.IMPORT_MAX_ROWS = {"default": 2}
    result = parse(GOOD_ROWS, world)
    assert result.rows == []
    # GOOD_ROWS: 6 rows under the header; the workbook's dimension declares them
    assert [(e.row, e.value) for e in result.errors] == [(0, "A1:E7")]
    assert "declares 7 rows" in result.errors[0].message


def test_a_file_that_is_not_a_workbook(world):
    with translation.override("en"):
        result = excel.parse_roster_changes(io.BytesIO(b"\x00\x01PNG"), employer=world["employer"])
    assert [e.message for e in result.errors] == [
        "The file is neither an Excel workbook (.xlsx) nor a CSV file."
    ]


def test_errors_workbook_lists_the_errors():
    errors = [excel.RowError(3, "生效年月", "三月", "not a month")]
    with translation.override("en"):
        content = excel.errors_workbook(errors)
    rows = list(load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))
    assert rows == [
        ("Row", "Column", "Cell value", "Error"),
        (3, "生效年月", "三月", "not a month"),
    ]


# --- pages ---------------------------------------------------------------------------


def english(client) -> None:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def test_export_masks_ids_for_a_role_that_masks(client, world, staff):
    employer = world["employer"]
    url = f"/enrollment/employers/{employer.pk}/roster/export/"
    client.force_login(staff["county_accountant"])
    english(client)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[0] == ("公民身份号码", "姓名", "性别", "出生日期", "增员年月", "参保身份")
    masked = ID_A[:6] + "********" + ID_A[-4:]  # 140105********123?
    assert [r[:2] + r[4:] for r in rows[1:]] == [(masked, "张三", 202401, "Employee")]
    assert rows[1][3].date().isoformat() == "1985-07-15"
    client.force_login(staff["caseworker"])
    rows = list(
        load_workbook(io.BytesIO(client.get(url).content)).active.iter_rows(values_only=True)
    )
    assert [r[0] for r in rows[1:]] == [ID_A]
    assert ChangeLogEntry.objects.filter(action="export", object_id=str(employer.pk)).count() == 2


def test_the_import_page_shows_the_errors_and_imports_nothing(client, world):
    employer = world["employer"]
    url = f"/enrollment/employers/{employer.pk}/roster/import/"
    client.force_login(world["actor"])
    english(client)
    page = client.get(url)
    assert page.status_code == 200 and 'name="valid_rows_only"' in page.content.decode()
    before = counts()
    rows = [GOOD_ROWS[1], [ID_C, "赵六", "增员", "三月"]]
    response = client.post(url, {"file": sheet(rows)})
    html = " ".join(response.content.decode().split())
    assert response.status_code == 200
    assert "1 error found; nothing was imported." in html
    assert (
        '<tr><td class="num">3</td><td>生效年月</td><td>三月</td><td>“三月” is not a month; '
        "write it as YYYYMM (202503) or YYYY-MM (2025-03).</td></tr>"
    ) in html
    assert counts() == before
    download = client.get(url + "?download=errors")
    assert download["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = list(load_workbook(io.BytesIO(download.content)).active.iter_rows(values_only=True))
    assert rows[1][:3] == (3, "生效年月", "三月")


def test_the_import_page_imports_a_good_sheet_and_valid_rows_only(client, world):
    employer = world["employer"]
    url = f"/enrollment/employers/{employer.pk}/roster/import/"
    client.force_login(world["actor"])
    english(client)
    response = client.post(url, {"file": sheet(GOOD_ROWS[:2])}, follow=True)
    assert "Imported: 1 added, 1 removed, 0 newly registered." in response.content.decode()
    before = counts()
    rows = [[ID_C, "赵六", "增员", 202503], [ID_D, "钱七", "增员", "三月"]]
    response = client.post(url, {"file": sheet(rows), "valid_rows_only": "on"})
    html = " ".join(response.content.decode().split())
    assert "Imported: 1 added, 0 removed, 1 newly registered." in html
    assert "1 row was skipped because of the errors below." in html
    assert counts() == (before[0] + 1, before[1] + 1, before[2] + 1)


def test_a_user_of_another_region_gets_403_and_nothing_changes(client, world, staff):
    employer = world["employer"]
    base = f"/enrollment/employers/{employer.pk}/roster/"
    client.force_login(staff["other_caseworker"])
    before = counts()
    assert client.get(base + "import/").status_code == 403
    assert client.post(base + "import/", {"file": sheet(GOOD_ROWS)}).status_code == 403
    assert client.get(base + "export/").status_code == 403
    assert counts() == before
    assert not ChangeLogEntry.objects.filter(action="export").exists()
    with pytest.raises(NotPermitted) as caught:
        excel.apply_roster_changes(
            actor=staff["other_caseworker"], employer=employer, result=parse(GOOD_ROWS, world)
        )
    assert caught.value.code == "outside_region"
    assert counts() == before


# --- through the import kernel (pension.imports): limits, formulas, CSV, export as text


def test_a_huge_declared_dimension_is_refused_at_once(world):
    import time

    from pension.tests.import_files import declared_dimension

    content = declared_dimension(sheet(GOOD_ROWS[:1]).getvalue(), "A1:XFD1048576")
    started = time.monotonic()
    with translation.override("en"):
        result = excel.parse_roster_changes(io.BytesIO(content), employer=world["employer"])
    assert time.monotonic() - started < 5  # minutes before the kernel
    assert result.rows == []
    assert [(e.row, e.value) for e in result.errors] == [(0, "A1:XFD1048576")]
    assert "more than the 200,000 an import may have" in result.errors[0].message


def test_formula_and_error_cells_are_row_errors(world):
    from pension.tests.import_files import ERROR, FORMULA, xlsx_bytes

    content = xlsx_bytes(
        [
            HEADERS,
            [ID_B, "李四", "增员", FORMULA("=202500+3"), None],
            [ID_C, ERROR("#REF!"), "增员", 202503, None],
            [ID_D, "钱七", "增员", 202504, None],
        ]
    )
    with translation.override("en"):
        result = excel.parse_roster_changes(io.BytesIO(content), employer=world["employer"])
    assert [(e.row, e.column, e.value) for e in result.errors] == [
        (2, "生效年月", "=202500+3"),
        (3, "姓名", "#REF!"),
    ]
    assert [r.row for r in result.rows] == [4]  # the valid row, if the user asks
    with pytest.raises(InvalidInput):
        excel.apply_roster_changes(actor=world["actor"], employer=world["employer"], result=result)


def test_a_number_id_gets_the_one_message_in_chinese(world):
    with translation.override("zh-hans"):
        result = excel.parse_roster_changes(
            sheet([[float(ID_C[:17] + "0"), "赵六", "增员", 202503, None]]),
            employer=world["employer"],
        )
    assert [(e.row, e.column) for e in result.errors] == [(2, "公民身份号码")]
    assert (
        result.errors[0].message == "请以文本格式填写公民身份号码：数字格式的单元格会丢失末尾几位。"
    )


def test_a_csv_sheet_in_gb18030_is_imported(world):
    from pension.tests.import_files import csv_bytes

    content = csv_bytes([HEADERS, [ID_C, "赵六", "增员", "2025-03", ""]], encoding="gb18030")
    with translation.override("en"):
        result = excel.parse_roster_changes(io.BytesIO(content), employer=world["employer"])
    assert result.errors == []
    assert [(r.id_number, r.name, str(r.period)) for r in result.rows] == [
        (ID_C, "赵六", "2025-03")
    ]


HYPERLINK = '=HYPERLINK("http://x","y")'


def test_a_name_like_a_formula_is_imported_and_exported_as_text(world, staff):
    """Formula injection: a person named =HYPERLINK(…) typed as text is imported, and
    the roster export and the errors workbook write it as a string cell, never a
    formula (the file's XML has no <f> element)."""
    import zipfile

    from pension.tests.import_files import TEXT, xlsx_bytes

    content = xlsx_bytes([HEADERS, [ID_C, TEXT(HYPERLINK), "增员", 202503, None]])
    with translation.override("en"):
        result = excel.parse_roster_changes(io.BytesIO(content), employer=world["employer"])
    assert result.errors == []
    excel.apply_roster_changes(actor=world["actor"], employer=world["employer"], result=result)
    assert InsuredPerson.objects.get(id_number=ID_C).name == HYPERLINK

    def cells(workbook_bytes: bytes) -> list:
        xml = zipfile.ZipFile(io.BytesIO(workbook_bytes)).read("xl/worksheets/sheet1.xml")
        assert b"<f>" not in xml and b"<f " not in xml
        sheet_ = load_workbook(io.BytesIO(workbook_bytes), read_only=True).worksheets[0]
        return [(c.value, c.data_type) for row in sheet_.iter_rows() for c in row]

    exported = cells(excel.roster_workbook(world["employer"], user=staff["caseworker"]))
    assert (HYPERLINK, "s") in exported
    errors = cells(excel.errors_workbook([excel.RowError(2, "姓名", HYPERLINK, "x")]))
    assert (HYPERLINK, "s") in errors
