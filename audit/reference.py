"""Reference data of the business archives (业务档案, operations standard §14): the
material types the standard names and the retention periods by case kind. The audit
migration 0006 seeds them (its own frozen copy); ``ensure_archive_reference_data`` puts
back any row that is missing, e.g. in a test database emptied by a flush (the demo step
``archives`` calls it), without changing rows the province has edited."""

from __future__ import annotations

# (code, name, clause of the standard): 山西省地方标准《企业职工基本养老保险省级统筹
# 业务经办规范》(2021)
MATERIAL_TYPES = [
    ("wage_evidence", "原始工资收入证明材料", "7.4.1、7.4.2"),
    ("legal_document", "相关部门出具的法律文书", "7.4.1"),
    ("wage_determination", "相关人员的年工资收入核定材料", "7.4.2"),
    ("hiring_records", "有行政部门签章的原始招用工手续", "7.4.3"),
    ("labour_relation", "补缴期间劳动关系原件及复印件", "7.4.3"),
    ("emigration_proof", "出国定居证明", "8.4.3"),
    ("identity_document", "本人身份证件复印件", "8.4.3"),
    ("monthly_benefit_proof", "按月领取待遇证明", "8.4.3"),
    ("personnel_file", "申请人原始档案", "9.1.4"),
    ("retirement_notice", "单位拟办理职工退休手续公示表", "9.1.4"),
    ("special_work_records", "提前退休特殊工种有关原始记录", "9.1.4"),
    ("commitment", "企业职工基本养老保险经办业务证明事项承诺书", "9.5.1"),
    ("supplementary", "其它需补充资料的原件及复印件", "9.1.4"),
    ("digital_copy", "纸质资料的数字化副本", "7.4、9.1.4、9.5.1"),
    ("electronic_record", "信息系统和网上办事大厅产生的业务数据", "14.2"),
]
# The standard names no retention periods: these are working values (工作值, not
# published figures), to be set by the province; the empty kind is every other kind.
WORKING_VALUE = "工作值（非公布数字）"
RETENTION_RULES = [
    ("", "30y"),
    # what a person's pension rests on for life: kept for ever
    ("benefits.retirement", "permanent"),
    ("benefits.account_pension_redetermination", "permanent"),
    ("benefits.death", "permanent"),
    ("benefits.survivor_claim", "permanent"),
    ("enrollment.person_key_data_change", "permanent"),
    ("accounts.transfer_out", "permanent"),
    ("accounts.transfer_in", "permanent"),
    ("accounts.settlement", "permanent"),
    ("contributions.back_payment", "permanent"),
    ("contributions.extended_contribution", "permanent"),
    # money of a month and the office's own work: ten years
    ("benefits.payroll_run_approve", "10y"),
    ("funds.period_close", "10y"),
    ("funds.reconciliation_sign_off", "10y"),
    ("funds.reconciliation_correction", "10y"),
    ("funds.spending_plan_submit", "10y"),
    ("funds.disbursement", "10y"),
    ("pension.staff_roles_change", "10y"),
    ("pension.staff_agency_change", "10y"),
    ("audit.archive_handover", "permanent"),
]


def ensure_archive_reference_data() -> int:
    """Create the material types and retention rules that are missing; return how
    many rows were created."""
    from audit.models import MaterialType, RetentionRule

    created = 0
    for position, (code, name, clause) in enumerate(MATERIAL_TYPES, start=1):
        _row, new = MaterialType.objects.get_or_create(
            code=code, defaults={"name": name, "clause": clause, "position": position}
        )
        created += new
    for kind, retention in RETENTION_RULES:
        _row, new = RetentionRule.objects.get_or_create(
            case_kind=kind, defaults={"retention": retention, "source": WORKING_VALUE}
        )
        created += new
    return created
