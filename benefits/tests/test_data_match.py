"""Data-match imports (比对数据, §9.6.2): all or nothing with the row errors, a replayed
file changes nothing, living records certify, death records stop the payment."""

from __future__ import annotations

import io
from datetime import date, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from openpyxl import Workbook

from accounts.tests.factories import make_person
from benefits.choices import CertificationMethod, DataMatchKind, DeterminationStatus
from benefits.models import DataMatchImport, LifeCertification
from benefits.suspension import certification
from benefits.tests.test_suspension import determination_for
from enrollment.choices import PersonStatus
from pension.errors import Conflict, InvalidInput
from pension.periods import Period
from pension.validators import citizen_id_check_character

pytestmark = pytest.mark.django_db

TODAY = date(2026, 6, 10)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def csv_file(rows: list[tuple[str, str, str]], name: str = "hospital.csv") -> SimpleUploadedFile:
    text = "公民身份号码,姓名,日期\n" + "".join(f"{a},{b},{c}\n" for a, b, c in rows)
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


def xlsx_file(rows: list[tuple], name: str = "transport.xlsx") -> SimpleUploadedFile:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["公民身份号码", "姓名", "日期"])
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


def unregistered_id() -> str:
    first17 = "14010219500101999"
    return first17 + citizen_id_check_character(first17)


@pytest.fixture
def people(staff):
    agency = staff["caseworker"].agency
    a = determination_for(make_person(agency, born=date(1960, 1, 5), name="甲退休"))
    b = determination_for(make_person(agency, born=date(1961, 2, 6), name="乙退休"))
    working = make_person(agency, born=date(1980, 3, 7), name="丙在职")
    return a, b, working


def test_a_wrong_row_imports_nothing_and_is_reported(staff, people):
    a, b, _working = people
    bad_id = a.person.id_number[:17] + ("0" if a.person.id_number[17] != "0" else "1")
    upload = csv_file(
        [
            (a.person.id_number, "甲退休", "2026-05-01"),
            (bad_id, "甲退休", "2026-05-01"),
            (b.person.id_number, "乙错名", "2026-05-01"),
            (b.person.id_number, "乙退休", "2026-07-01"),
        ]
    )
    with pytest.raises(InvalidInput) as refusal:
        certification.data_match_import(
            actor=staff["caseworker"], kind=DataMatchKind.HOSPITAL, uploaded_file=upload,
            file_name="hospital.csv", today=TODAY,
        )  # fmt: skip
    assert refusal.value.code == "row_errors"
    errors = refusal.value.details["errors"]
    assert [(e["row"], e["column"]) for e in errors] == [
        (3, "公民身份号码"),
        (4, "姓名"),
        (5, "日期"),
    ]
    assert errors[1]["message"] == "The register has 乙退休 under this citizen ID number."
    assert errors[2]["message"] == "The date is after today."
    assert str(refusal.value) == (
        "The file has 3 errors; nothing was imported. Correct them and import it again."
    )
    assert not DataMatchImport.objects.exists()
    assert not LifeCertification.objects.exists()


def test_a_hospital_file_certifies_and_a_replay_changes_nothing(staff, people):
    a, b, working = people
    rows = [
        (a.person.id_number, "甲退休", datetime(2026, 5, 3)),
        (a.person.id_number, "甲退休", "2026-05-20"),  # the latest date of the file counts
        (b.person.id_number, "乙退休", "2026/4/2"),
        (working.id_number, "丙在职", "2026-05-01"),  # not a retiree: not certified
        (unregistered_id(), "外省人", "2026-05-01"),  # not in the register: counted
    ]
    imported = certification.data_match_import(
        actor=staff["caseworker"], kind=DataMatchKind.TRANSPORT, uploaded_file=xlsx_file(rows),
        today=TODAY,
    )  # fmt: skip
    assert (imported.row_count, imported.matched_count, imported.certified_count) == (5, 4, 2)
    assert imported.file_name == "transport.xlsx"
    assert imported.result["unmatched_count"] == 1
    assert imported.result["unmatched"] == [unregistered_id()]
    assert imported.result["not_certified"] == 1
    certified = dict(
        LifeCertification.objects.filter(data_match=imported).values_list(
            "person_id", "certified_on"
        )
    )
    assert certified == {a.person_id: date(2026, 5, 20), b.person_id: date(2026, 4, 2)}
    assert set(
        LifeCertification.objects.filter(data_match=imported).values_list("method", flat=True)
    ) == {CertificationMethod.DATA_MATCH}
    assert certification.last_certified_on(a.person) == date(2026, 5, 20)

    # the same content again, under another name: refused, nothing changes
    with pytest.raises(Conflict) as refusal:
        certification.data_match_import(
            actor=staff["caseworker"], kind=DataMatchKind.TRANSPORT,
            uploaded_file=xlsx_file(rows, name="again.xlsx"), today=TODAY,
        )  # fmt: skip
    assert refusal.value.code == "already_imported"
    assert f"import #{imported.pk}" in str(refusal.value)
    assert DataMatchImport.objects.count() == 1
    assert LifeCertification.objects.count() == 2


def test_a_death_file_stops_the_payment(staff, people):
    a, b, _working = people
    upload = csv_file([(a.person.id_number, "甲退休", "2026-02-14")], name="death.csv")
    imported = certification.data_match_import(
        actor=staff["caseworker"], kind=DataMatchKind.DEATH, uploaded_file=upload, today=TODAY
    )
    a.refresh_from_db()
    b.refresh_from_db()
    a.person.refresh_from_db()
    # died in February: stopped from March
    assert (a.status, a.stop_month) == (DeterminationStatus.STOPPED, Period(2026, 3))
    assert a.inputs["death"]["source"] == f"data_match:{imported.pk}"
    assert a.person.status == PersonStatus.DECEASED
    assert b.status == DeterminationStatus.IN_PAYMENT
    assert (imported.death_count, imported.certified_count) == (1, 0)
    assert imported.result["stopped"] == [a.person_id]
    assert not LifeCertification.objects.exists()


def test_a_death_file_lists_a_death_recorded_on_another_date(staff, people):
    a, b, _working = people
    from benefits.suspension import suspensions

    suspensions.record_death(
        actor=None, person=b.person, death_date=date(2026, 1, 2), source="test", reason="x",
        today=TODAY,
    )  # fmt: skip
    # a GB18030 file (as exported by some civil-affairs systems)
    text = f"公民身份号码,姓名,日期\n{a.person.id_number},甲退休,20260301\n"
    text += f"{b.person.id_number},乙退休,2026-03-01\n"
    upload = SimpleUploadedFile("death.csv", text.encode("gb18030"))
    imported = certification.data_match_import(
        actor=staff["caseworker"], kind=DataMatchKind.DEATH, uploaded_file=upload, today=TODAY
    )
    a.refresh_from_db()
    b.refresh_from_db()
    # A: died 2026-03-01, stopped from April; B keeps the death of 2026-01-02 (February)
    assert a.stop_month == Period(2026, 4)
    assert b.stop_month == Period(2026, 2)
    assert imported.result["stopped"] == [a.person_id]
    assert [c["row"] for c in imported.result["conflicts"]] == [3]
    assert imported.death_count == 1


# --- through the import kernel (pension.imports): limits, formulas, the ID as a number --


def _refused(staff, upload) -> list[dict]:
    with pytest.raises(InvalidInput) as refusal:
        certification.data_match_import(
            actor=staff["caseworker"], kind=DataMatchKind.HOSPITAL, uploaded_file=upload,
            today=TODAY,
        )  # fmt: skip
    assert not DataMatchImport.objects.exists()
    assert not LifeCertification.objects.exists()
    return refusal.value.details.get("errors", [])


def test_a_number_id_gets_the_rosters_message_in_chinese(staff, people):
    a, _b, _working = people
    upload = xlsx_file([(float(a.person.id_number[:17] + "0"), "甲退休", "2026-05-01")])
    with translation.override("zh-hans"):
        errors = _refused(staff, upload)
    assert [(e["row"], e["column"]) for e in errors] == [(2, "公民身份号码")]
    assert errors[0]["message"] == "请以文本格式填写公民身份号码：数字格式的单元格会丢失末尾几位。"


def test_formula_and_error_cells_are_row_errors(staff, people):
    from pension.tests.import_files import ERROR, FORMULA, xlsx_bytes

    a, b, _working = people
    content = xlsx_bytes(
        [
            certification.HEADERS,
            (a.person.id_number, "甲退休", FORMULA("=TODAY()")),
            (b.person.id_number, ERROR("#N/A"), "2026-05-01"),
        ]
    )
    upload = SimpleUploadedFile("x.xlsx", content)
    errors = _refused(staff, upload)
    assert [(e["row"], e["column"], e["value"]) for e in errors] == [
        (2, "日期", "=TODAY()"),
        (3, "姓名", "#N/A"),
    ]


def test_limits_refuse_the_file_before_reading(staff, people, settings):
    import time

    from pension.tests.import_files import declared_dimension

    a, _b, _working = people
    content = xlsx_file([(a.person.id_number, "甲退休", "2026-05-01")]).read()
    started = time.monotonic()
    errors = _refused(
        staff, SimpleUploadedFile("x.xlsx", declared_dimension(content, "A1:XFD1048576"))
    )
    assert time.monotonic() - started < 5  # minutes before the kernel
    assert [(e["row"], e["value"]) for e in errors] == [(0, "A1:XFD1048576")]
    settings.UPLOAD_MAX_BYTES = len(content) - 1
    with pytest.raises(InvalidInput) as refusal:
        certification.data_match_import(
            actor=staff["caseworker"], kind=DataMatchKind.HOSPITAL,
            uploaded_file=SimpleUploadedFile("x.xlsx", content), today=TODAY,
        )  # fmt: skip
    assert refusal.value.code == "upload_too_large"


def test_the_import_page_lists_the_people_filtered_by_group(client, staff, people):
    a, b, _working = people
    from benefits.suspension import suspensions

    suspensions.record_death(
        actor=None, person=b.person, death_date=date(2026, 1, 2), source="test", reason="x",
        today=TODAY,
    )  # fmt: skip
    upload = csv_file(
        [(a.person.id_number, "甲退休", "2026-03-01"), (b.person.id_number, "乙退休", "2026-01-02"),
         (unregistered_id(), "外省人", "2026-03-01")],
        name="death.csv",
    )  # fmt: skip
    imported = certification.data_match_import(
        actor=staff["caseworker"], kind=DataMatchKind.DEATH, uploaded_file=upload, today=TODAY
    )
    url = f"/benefits/certification/imports/{imported.pk}/"
    client.force_login(staff["caseworker"])

    def names(query: dict) -> list[str]:
        html = client.get(url, query).content.decode()
        table = html.split('id="people"', 1)[1].split("</table>", 1)[0]
        return [cell.split("</a>")[0].rsplit(">", 1)[1] for cell in table.split("<a ")[1:]]

    assert names({}) == ["甲退休", "乙退休"]  # stopped, then already recorded as deceased
    assert names({"group": "stopped"}) == ["甲退休"]
    assert names({"group": "already_deceased"}) == ["乙退休"]
    assert names({"group": "nonsense"}) == ["甲退休", "乙退休"]  # an unknown group: all
    assert unregistered_id() in client.get(url).content.decode()
