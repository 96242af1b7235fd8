"""Business archives (业务档案, operations standard §14): a decided case filed into a
volume carries its documents; the retention date worked out by hand; an open case
cannot be filed; another region is refused; a hand-over list is confirmed by a second
person, never by its maker, and a rejected list frees its volumes."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from audit import archives
from audit.models import HandoverList, MaterialType, RetentionRule, Volume
from pension import approvals
from pension.attachments import attachment_supersede, attachments_of
from pension.errors import Conflict, InvalidInput, NotPermitted
from pension.models import ApprovalRequest, ApprovalStatus, ChangeLogEntry

pytestmark = pytest.mark.django_db


def _pdf(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4 " + name.encode(), content_type="application/pdf")


def _case(staff, *, documents=("申请表.pdf", "工资证明.pdf")) -> ApprovalRequest:
    """A case of 小店区 (140105) prepared by the county caseworker with its documents."""
    target = staff["county_accountant"]
    return approvals.approval_request_create(
        actor=staff["caseworker"],
        operation="pension.staff_roles_change",
        agency=staff["caseworker"].agency,
        summary="钱会计的岗位",
        payload={"roles": list(target.roles)},
        before={"roles": list(target.roles)},
        target=target,
        attachments=[_pdf(name) for name in documents],
    )


def _decided(staff, **kwargs) -> ApprovalRequest:
    case = _case(staff, **kwargs)
    approvals.approval_request_approve(actor=staff["reviewer"], request_id=case.pk)
    # 2025-12-31 20:00 UTC is 2026-01-01 04:00 in Shanxi: the filing year is 2026
    ApprovalRequest.objects.filter(pk=case.pk).update(
        decided_at=datetime(2025, 12, 31, 20, 0, tzinfo=UTC)
    )
    case.refresh_from_db()
    return case


def test_a_decided_case_is_filed_with_its_documents(client, staff):
    case = _decided(staff)
    first, second = attachments_of(case).order_by("uploaded_at", "id")
    newer = attachment_supersede(
        actor=staff["caseworker"], attachment=second, upload=_pdf("工资证明-更正.pdf")
    )
    wage = MaterialType.objects.get(code="wage_evidence")

    volume = archives.volume_file(
        actor=staff["caseworker"], case_id=case.pk, material_types={second.pk: "wage_evidence"}
    )

    assert volume.number == "140105-2026-00001"
    assert (volume.region_id, volume.year, volume.sequence) == ("140105", 2026, 1)
    assert volume.case_kind == "pension.staff_roles_change" and volume.title == "钱会计的岗位"
    # the kind's rule: ten years from 1 January 2027, so to the end of 2036
    assert volume.retention == "10y" and volume.retain_until == date(2036, 12, 31)
    items = list(volume.items.order_by("position"))
    assert [(i.position, i.attachment_id, i.material_type.code) for i in items] == [
        (1, first.pk, "digital_copy"),
        (2, second.pk, wage.code),
        (3, newer.pk, "digital_copy"),
    ]
    assert ChangeLogEntry.objects.filter(
        object_type="audit.volume", object_id=str(volume.pk)
    ).exists()
    # the case is filed once
    with pytest.raises(Conflict) as refused:
        archives.volume_file(actor=staff["reviewer"], case_id=case.pk)
    assert refused.value.code == "already_filed"

    client.force_login(staff["caseworker"])
    page = client.get(f"/audit/archives/volumes/{volume.pk}/").content.decode()
    assert 'id="volume-retain-until">2036-12-31<' in page
    rows = [page.split(f'data-item="{item.pk}"', 1)[1].split("</tr>", 1)[0] for item in items]
    assert "<td>申请表.pdf</td>" in rows[0] and "selected>纸质资料的数字化副本" in rows[0]
    assert '<option value="wage_evidence" selected>' in rows[1]
    assert rows[1].rstrip().endswith("<td>是</td>")  # superseded by the third document
    assert "<td>工资证明.pdf</td>" in rows[2] and rows[2].rstrip().endswith("<td>—</td>")
    listing = client.get("/audit/archives/", {"year": 2026, "region": "140105"}).content.decode()
    row = listing.split(f'data-volume="{volume.pk}"', 1)[1].split("</tr>", 1)[0]
    assert "140105-2026-00001" in row and "<td>10年</td>" in row and "2036-12-31" in row
    assert '<td class="num">3</td>' in row  # three documents
    assert (
        f'data-volume="{volume.pk}"'
        not in client.get("/audit/archives/", {"year": 2025}).content.decode()
    )


def test_retention_by_kind_and_the_default_rule():
    # kept from 1 January after the filing year: 2026 + 30 ends 2056-12-31
    assert archives.retain_until("30y", 2026) == date(2056, 12, 31)
    assert archives.retain_until("10y", 2024) == date(2034, 12, 31)
    assert archives.retain_until("permanent", 2026) is None
    assert archives.retention_for("benefits.retirement") == "permanent"
    assert archives.retention_for("contributions.refund") == "30y"  # no rule: the default
    RetentionRule.objects.filter(case_kind="").delete()
    with pytest.raises(InvalidInput) as refused:
        archives.retention_for("contributions.refund")
    assert refused.value.code == "no_retention_rule"


def test_a_permanent_volume_has_no_end_date(staff):
    RetentionRule.objects.filter(case_kind="pension.staff_roles_change").update(
        retention="permanent"
    )
    volume = archives.volume_file(actor=staff["caseworker"], case_id=_decided(staff).pk)
    assert volume.retention == "permanent" and volume.retain_until is None


def test_an_open_case_cannot_be_filed(client, staff):
    case = _case(staff)
    with pytest.raises(Conflict) as refused:
        archives.volume_file(actor=staff["caseworker"], case_id=case.pk)
    assert refused.value.code == "case_open"
    assert not Volume.objects.exists()
    client.force_login(staff["caseworker"])
    assert f'data-case="{case.pk}"' not in client.get("/audit/archives/cases/").content.decode()
    response = client.post(f"/audit/archives/cases/{case.pk}/file")
    assert response.status_code == 302 and not Volume.objects.exists()


def test_another_region_is_refused(client, staff):
    case = _decided(staff)
    with pytest.raises(NotPermitted):
        archives.volume_file(actor=staff["other_caseworker"], case_id=case.pk)
    client.force_login(staff["other_caseworker"])
    assert f'data-case="{case.pk}"' not in client.get("/audit/archives/cases/").content.decode()
    client.post(f"/audit/archives/cases/{case.pk}/file")
    assert not Volume.objects.exists()

    volume = archives.volume_file(actor=staff["caseworker"], case_id=case.pk)
    assert client.get(f"/audit/archives/volumes/{volume.pk}/").status_code == 404
    assert f'data-volume="{volume.pk}"' not in client.get("/audit/archives/").content.decode()
    with pytest.raises(NotPermitted):
        archives.handover_create(
            actor=staff["other_caseworker"], volume_ids=[volume.pk], receiver="市档案馆"
        )
    # auditors read the archives, they do not file them
    with pytest.raises(NotPermitted):
        archives.volume_file(actor=staff["auditor"], case_id=_decided(staff).pk)


def test_the_caseworkers_file_and_the_fund_accountant_has_no_archives(client, staff):
    response = client.get("/audit/archives/")
    assert response.status_code == 302 and response.url.startswith("/login/")
    client.force_login(staff["caseworker"])
    assert "archives" in {item["domain"] for item in client.get("/").context["nav_items"]}
    page = client.get("/audit/archives/").content.decode()
    assert "<h1>业务档案</h1>" in page
    client.force_login(staff["county_accountant"])
    assert "archives" not in {item["domain"] for item in client.get("/").context["nav_items"]}
    assert client.get("/audit/archives/").status_code == 403


def test_a_handover_is_confirmed_by_a_second_person_never_its_maker(client, staff):
    volume = archives.volume_file(actor=staff["caseworker"], case_id=_decided(staff).pk)
    handover = archives.handover_create(
        actor=staff["caseworker"], volume_ids=[volume.pk], receiver="太原市社会保险档案室"
    )
    assert handover.number == f"YJ-140105-{handover.year}-0001"
    assert handover.approval.status == ApprovalStatus.PENDING

    with pytest.raises(NotPermitted) as refused:
        archives.handover_confirm(actor=staff["caseworker"], handover=handover)
    assert refused.value.code == "self_approval"
    client.force_login(staff["caseworker"])
    client.post(f"/audit/archives/handovers/{handover.pk}/confirm")
    handover.refresh_from_db()
    volume.refresh_from_db()
    assert handover.confirmed_by is None and volume.handed_over_at is None
    # the volume is reserved while the list waits
    with pytest.raises(Conflict) as taken:
        archives.handover_create(
            actor=staff["reviewer"], volume_ids=[volume.pk], receiver="太原市社会保险档案室"
        )
    assert taken.value.code == "volume_taken"

    client.force_login(staff["other_reviewer"])  # another region: not even visible
    assert client.get(f"/audit/archives/handovers/{handover.pk}/").status_code == 404
    client.post(f"/audit/archives/handovers/{handover.pk}/confirm")
    handover.refresh_from_db()
    assert handover.confirmed_by is None

    client.force_login(staff["reviewer"])
    queued = client.get(f"/approvals/{handover.approval_id}/").content.decode()
    assert "档案案卷移交" in queued and "清单所列案卷" in queued and volume.number in queued
    detail = client.get(f"/audit/archives/handovers/{handover.pk}/").content.decode()
    assert 'id="handover-confirm"' in detail and 'id="handover-status">待确认<' in detail
    response = client.post(f"/audit/archives/handovers/{handover.pk}/confirm")
    assert response.status_code == 302
    handover.refresh_from_db()
    volume.refresh_from_db()
    assert handover.confirmed_by == staff["reviewer"]
    assert handover.approval.status == ApprovalStatus.APPROVED
    assert volume.handed_over_at == handover.confirmed_at
    printed = client.get(f"/audit/archives/handovers/{handover.pk}/print").content.decode()
    assert "档案移交清单" in printed and volume.number in printed
    assert "太原市社会保险档案室" in printed and "共 1 卷" in printed
    assert 'id="handover-document-total">2<' in printed


def test_a_rejected_handover_frees_its_volumes(staff):
    volume = archives.volume_file(actor=staff["caseworker"], case_id=_decided(staff).pk)
    first = archives.handover_create(
        actor=staff["caseworker"], volume_ids=[volume.pk], receiver="区档案室"
    )
    approvals.approval_request_reject(
        actor=staff["reviewer"], request_id=first.approval_id, reason="缺少卷内目录"
    )
    second = archives.handover_create(
        actor=staff["caseworker"], volume_ids=[volume.pk], receiver="区档案室"
    )
    assert second.sequence == first.sequence + 1
    assert HandoverList.objects.count() == 2


def test_the_reference_data_is_put_back_when_missing(staff):
    """A flushed test database (a transactional test's teardown) loses the migration's
    rows: the demo's archives step puts back the 15 material types and 20 retention
    rules, the same lists as the migration's, and leaves an edited row alone."""
    import importlib

    from audit.reference import MATERIAL_TYPES, RETENTION_RULES, ensure_archive_reference_data

    migration = importlib.import_module("audit.migrations.0006_archives")
    assert migration.MATERIAL_TYPES == MATERIAL_TYPES
    assert migration.RETENTION_RULES == RETENTION_RULES
    assert ensure_archive_reference_data() == 0  # the migration seeded them
    RetentionRule.objects.filter(case_kind="pension.staff_roles_change").update(retention="30y")
    RetentionRule.objects.exclude(case_kind="pension.staff_roles_change").delete()
    MaterialType.objects.all().delete()
    assert ensure_archive_reference_data() == 15 + 19
    assert MaterialType.objects.count() == 15 and RetentionRule.objects.count() == 20
    assert archives.retention_for("benefits.retirement") == "permanent"
    assert archives.retention_for("pension.staff_roles_change") == "30y"  # kept as edited


def test_the_volumes_to_hand_over_are_paged_and_auditors_get_no_form(client, staff, monkeypatch):
    """The form's volumes come a page at a time (``vpage``; one a page here), a volume
    of another page can be ticked; the list pages filter; an auditor reads without the
    form or a file button; the approvals queue names the kind."""
    from audit import archive_views

    monkeypatch.setattr(archive_views, "PAGE_SIZE", 1)
    first = archives.volume_file(actor=staff["caseworker"], case_id=_decided(staff).pk)
    second = archives.volume_file(actor=staff["caseworker"], case_id=_decided(staff).pk)
    waiting = _decided(staff)  # not filed
    client.force_login(staff["caseworker"])
    page = client.get("/audit/archives/handovers/").content.decode()
    assert page.count('name="volumes"') == 1 and "共 2 卷待移交" in page
    assert f'value="{first.pk}"' in page and "第 1 页，共 2 页" in page
    page = client.get("/audit/archives/handovers/", {"vpage": 2}).content.decode()
    assert page.count('name="volumes"') == 1 and f'value="{second.pk}"' in page
    response = client.post(
        "/audit/archives/handovers/?vpage=2", {"volumes": [second.pk], "receiver": "区档案室"}
    )
    handover = HandoverList.objects.get()
    assert response.status_code == 302 and response.url.endswith(f"/{handover.pk}/")
    assert list(handover.items.values_list("volume_id", flat=True)) == [second.pk]
    # the lists by status; the volumes by hand-over state
    assert (
        handover.number in client.get("/audit/archives/handovers/?status=pending").content.decode()
    )
    assert (
        handover.number
        not in client.get("/audit/archives/handovers/?status=approved").content.decode()
    )
    listed = client.get("/audit/archives/", {"handed_over": "listed"}).content.decode()
    assert f'data-volume="{second.pk}"' in listed and f'data-volume="{first.pk}"' not in listed
    free = client.get("/audit/archives/", {"handed_over": "no"}).content.decode()
    assert f'data-volume="{first.pk}"' in free and f'data-volume="{second.pk}"' not in free
    cases = client.get("/audit/archives/cases/", {"status": "approved"}).content.decode()
    assert f'data-case="{waiting.pk}"' in cases and "立卷</button>" in cases
    assert (
        f'data-case="{waiting.pk}"'
        not in client.get("/audit/archives/cases/", {"status": "rejected"}).content.decode()
    )
    queue = client.get("/approvals/").content.decode()
    assert "<td>档案案卷移交</td>" in queue and "<td>audit.archive_handover</td>" not in queue
    # the yes/no filter's empty choice reads 全部, not 未知
    assert '<option value="unknown" selected>全部</option>' in queue and "未知" not in queue

    client.force_login(staff["auditor"])
    page = client.get("/audit/archives/handovers/").content.decode()
    assert handover.number in page and 'id="handover-form"' not in page
    client.post("/audit/archives/handovers/", {"volumes": [first.pk], "receiver": "区档案室"})
    assert HandoverList.objects.count() == 1
    cases = client.get("/audit/archives/cases/").content.decode()
    assert f'data-case="{waiting.pk}"' in cases and "立卷</button>" not in cases
