"""Writes of registration (参保登记): one function per business operation.

Every function validates its input (invalid citizen IDs and credit codes are refused
with the validators' messages and nothing is written), writes in one transaction and
records the change in the change log. Key personal data changes go through
maker-checker (``person_key_data_change_request``), and so does the bank account
pensions are paid to (``person_bank_account_change_request``, §6.2.2.3); contact data
changes directly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from enrollment.choices import (
    BANK_FIELDS,
    CLOSING_STATUSES,
    CONTACT_FIELDS,
    KEY_FIELDS,
    EmployerStatus,
    OccupationKind,
    PersonCategory,
    PersonStatus,
    RegistrationSource,
)
from enrollment.models import Employer, Employment, InsuredPerson
from pension import approvals, changelog
from pension.errors import Conflict, InvalidInput, NotPermitted
from pension.models import Agency, ApprovalRequest, ChangeAction, Region, StaffUser
from pension.periods import Period
from pension.scope import region_allows
from pension.selectors import policy_value
from pension.validators import check_citizen_id_consistency, parse_citizen_id, parse_credit_code


def _invalid(error: ValidationError, field: str) -> InvalidInput:
    message = error.messages[0] if error.messages else str(error)
    code = getattr(error, "code", None) or (error.error_list[0].code if error.error_list else None)
    return InvalidInput(message, code=code or "invalid", details={"field": field})


def owning_agency(region: Region) -> Agency:
    """The agency that owns records of ``region``: its own, else the nearest above."""
    for candidate in region.ancestors():
        agency = Agency.objects.filter(region=candidate, is_active=True).order_by("code").first()
        if agency is not None:
            return agency
    raise InvalidInput(
        _("No agency serves %(region)s."), code="no_agency", params={"region": region.name}
    )


def _may_prepare(actor: StaffUser | None, region: Region, model) -> None:
    if actor is None:  # external systems are scoped by their key
        return
    if not region_allows(actor, region.code, "prepare", model=model):
        raise NotPermitted(_("You cannot register records for this region."), code="outside_region")


# --- employers ---------------------------------------------------------------------


@transaction.atomic
def employer_register(
    *,
    actor: StaffUser | None,
    credit_code: str,
    name: str,
    kind: str,
    region: Region,
    address: str = "",
    contact_person: str = "",
    phone: str = "",
    registered_on: date | None = None,
    source: str = RegistrationSource.HALL,
    message_id: str = "",
) -> Employer:
    """Register an employer (参保单位登记, §6.1.1)."""
    try:
        code = parse_credit_code(credit_code)
    except ValidationError as error:
        raise _invalid(error, "credit_code") from None
    existing = Employer.objects.filter(credit_code=code).select_related("agency").first()
    if existing is not None:
        raise Conflict(
            _("The credit code %(code)s is already registered to %(name)s (%(agency)s)."),
            code="duplicate_credit_code",
            params={"code": code, "name": existing.name, "agency": existing.agency.name},
            details={"field": "credit_code", "employer_id": existing.pk},
        )
    _may_prepare(actor, region, Employer)
    employer = Employer(
        credit_code=code,
        name=name.strip(),
        kind=kind,
        region=region,
        agency=owning_agency(region),
        address=address,
        contact_person=contact_person,
        phone=phone,
        registered_on=registered_on or timezone.localdate(),
        source=source,
        last_message_id=message_id,
    )
    try:
        employer.full_clean()
    except ValidationError as error:
        field, errors = next(iter(error.message_dict.items()))
        raise InvalidInput(errors[0], code="invalid", details={"field": field}) from None
    try:
        with transaction.atomic():
            employer.save()
    except IntegrityError:  # a concurrent registration of the same code
        raise Conflict(
            _("The credit code %(code)s was registered a moment ago by someone else."),
            code="duplicate_credit_code",
            params={"code": code},
            details={"field": "credit_code"},
        ) from None
    changelog.record(
        actor=actor,
        action=ChangeAction.CREATE,
        instance=employer,
        after=changelog.snapshot(employer),
    )
    return employer


EMPLOYER_EDITABLE = ("name", "kind", "address", "contact_person", "phone", "region")


@transaction.atomic
def employer_update(
    *,
    actor: StaffUser | None,
    employer: Employer,
    reason: str = "",
    message_id: str = "",
    **changes,
) -> Employer:
    """Change an employer's registration data (§6.1.2); the change log keeps the history."""
    unknown = set(changes) - set(EMPLOYER_EDITABLE)
    if unknown:
        raise InvalidInput(
            _("These fields cannot be changed here: %(fields)s"),
            code="not_editable",
            params={"fields": ", ".join(sorted(unknown))},
        )
    employer = Employer.objects.select_for_update().get(pk=employer.pk)
    if employer.status == EmployerStatus.CANCELLED:
        raise Conflict(_("A cancelled employer cannot be changed."), code="employer_cancelled")
    before = changelog.snapshot(employer)
    for field, value in changes.items():
        setattr(employer, field, value)
    if "region" in changes:
        employer.agency = owning_agency(employer.region)
    if message_id:
        employer.last_message_id = message_id
    employer.full_clean()
    employer.save()
    after = changelog.snapshot(employer)
    if changelog.changed(before, after):
        changelog.record(
            actor=actor,
            action=ChangeAction.UPDATE,
            instance=employer,
            before=before,
            after=after,
            reason=reason,
        )
    return employer


@transaction.atomic
def employer_upsert_from_market_regulation(
    *, credit_code: str, message_id: str, name: str, kind: str, region: Region, **fields
) -> tuple[Employer, bool]:
    """A push from market regulation (多证合一): register a new employer or change the
    existing one with that credit code; never a duplicate. Returns (employer, created)."""
    try:
        code = parse_credit_code(credit_code)
    except ValidationError as error:
        raise _invalid(error, "credit_code") from None
    existing = Employer.objects.filter(credit_code=code).first()
    if existing is None:
        employer = employer_register(
            actor=None,
            credit_code=code,
            name=name,
            kind=kind,
            region=region,
            source=RegistrationSource.MARKET_REGULATION,
            message_id=message_id,
            **{k: v for k, v in fields.items() if k in ("address", "contact_person", "phone")},
        )
        return employer, True
    changes = {"name": name, "kind": kind, "region": region}
    changes.update({k: v for k, v in fields.items() if k in ("address", "contact_person", "phone")})
    return (
        employer_update(
            actor=None,
            employer=existing,
            reason=f"market regulation message {message_id}",
            message_id=message_id,
            **changes,
        ),
        False,
    )


def _set_employer_status(actor, employer: Employer, status: str, reason: str) -> Employer:
    employer = Employer.objects.select_for_update().get(pk=employer.pk)
    before = {"status": employer.status}
    employer.status = status
    employer.save(update_fields=["status", "updated_at"])
    changelog.record(
        actor=actor,
        action=ChangeAction.UPDATE,
        instance=employer,
        before=before,
        after={"status": status},
        reason=reason,
    )
    return employer


@transaction.atomic
def employer_suspend(*, actor: StaffUser, employer: Employer, reason: str) -> Employer:
    """Suspend an employer's registration (暂停)."""
    if employer.status != EmployerStatus.ACTIVE:
        raise Conflict(_("Only an active employer can be suspended."), code="not_active")
    return _set_employer_status(actor, employer, EmployerStatus.SUSPENDED, reason)


@transaction.atomic
def employer_resume(*, actor: StaffUser, employer: Employer, reason: str = "") -> Employer:
    if employer.status != EmployerStatus.SUSPENDED:
        raise Conflict(_("Only a suspended employer can be resumed."), code="not_suspended")
    return _set_employer_status(actor, employer, EmployerStatus.ACTIVE, reason)


# Checks that refuse an employer's cancellation (§6.1.3). Each returns the reasons it
# finds (translated text). Downstream apps add theirs (arrears, transfers in progress)
# with ``register_cancellation_check`` from their AppConfig.ready, so that this app
# never imports them.
_CANCELLATION_CHECKS: list[Callable[[Employer], list[str]]] = []


def register_cancellation_check(check: Callable[[Employer], list[str]]) -> None:
    if check not in _CANCELLATION_CHECKS:
        _CANCELLATION_CHECKS.append(check)


def _insured_employees(employer: Employer) -> list[str]:
    count = employer.employments.filter(stop_period__isnull=True).count()
    if count:
        return [str(_("%(count)d insured employees are still on the roster.") % {"count": count})]
    return []


def _retirees(employer: Employer) -> list[str]:
    count = (
        InsuredPerson.objects.filter(status=PersonStatus.RETIRED, employments__employer=employer)
        .distinct()
        .count()
    )
    if count:
        return [str(_("%(count)d retirees are attached to this employer.") % {"count": count})]
    return []


register_cancellation_check(_insured_employees)
register_cancellation_check(_retirees)


def employer_cancellation_blockers(employer: Employer) -> list[str]:
    return [reason for check in _CANCELLATION_CHECKS for reason in check(employer)]


@transaction.atomic
def employer_cancel(*, actor: StaffUser, employer: Employer, reason: str) -> Employer:
    """Cancel an employer's registration (注销, §6.1.3), refused with every reason found."""
    employer = Employer.objects.select_for_update().get(pk=employer.pk)
    if employer.status == EmployerStatus.CANCELLED:
        raise Conflict(_("The employer is already cancelled."), code="employer_cancelled")
    blockers = employer_cancellation_blockers(employer)
    if blockers:
        raise Conflict(
            _("The employer cannot be cancelled: %(reasons)s"),
            code="cancellation_blocked",
            params={"reasons": "；".join(blockers)},
            details={"reasons": blockers},
        )
    return _set_employer_status(actor, employer, EmployerStatus.CANCELLED, reason)


# --- insured people ------------------------------------------------------------------


def _check_identity(id_number: str, birth_date: date | None, sex: str | None):
    try:
        parsed = parse_citizen_id(id_number)
    except ValidationError as error:
        raise _invalid(error, "id_number") from None
    if birth_date is not None or sex is not None:
        try:
            check_citizen_id_consistency(
                parsed.number, birth_date or parsed.birth_date, sex or parsed.sex
            )
        except ValidationError as error:
            field = "birth_date" if error.error_list[0].code == "birth_date_mismatch" else "sex"
            raise _invalid(error, field) from None
    return parsed


ERROR_FIRST_WORK_BEFORE_16 = _(
    "The first work date %(first_work)s is before the person turned 16 (%(sixteen)s)."
)
ERROR_FIRST_WORK_FUTURE = _("The first work date %(first_work)s is in the future.")
ERROR_DEEMED_WITHOUT_WORK = _("Deemed contribution months need a first work date.")
ERROR_DEEMED_TOO_MANY = _(
    "%(deemed)s deemed months are more than the %(most)s months from the first work date "
    "%(first_work)s to %(start)s, when personal accounts began."
)


def check_work_history(
    *,
    birth_date: date,
    first_work_date: date | None,
    deemed_months: int,
    region: Region | str,
    today: date | None = None,
) -> None:
    """The work history of a registration or a key-data change (DESIGN §5.1):

    - the first work date is not before the month the person turned 16, nor after today;
    - deemed months (视同缴费年限) need a first work date and are at most the months from
      the first work month up to the month personal accounts began
      (``accounts.start_month``: Shanxi 1997-07, Jilin 1995-07; first work 1985-07 in
      Shanxi: 1997-07 − 1985-07 = 144 months at most).
    """
    today = today or timezone.localdate()
    if first_work_date is not None:
        sixteen = Period(birth_date.year + 16, birth_date.month)
        if Period.from_date(first_work_date) < sixteen:
            raise InvalidInput(
                ERROR_FIRST_WORK_BEFORE_16,
                code="first_work_before_16",
                params={"first_work": first_work_date.isoformat(), "sixteen": str(sixteen)},
                details={"field": "first_work_date"},
            )
        if first_work_date > today:
            raise InvalidInput(
                ERROR_FIRST_WORK_FUTURE,
                code="first_work_future",
                params={"first_work": first_work_date.isoformat()},
                details={"field": "first_work_date"},
            )
    if not deemed_months:
        return
    if first_work_date is None:
        raise InvalidInput(
            ERROR_DEEMED_WITHOUT_WORK,
            code="deemed_without_first_work",
            details={"field": "first_work_date"},
        )
    try:
        start = policy_value("accounts.start_month", on=today, region=region)
    except ValidationError as error:
        raise InvalidInput(error.messages[0], code="parameter_missing") from None
    start_month = Period.parse(start.value)
    most = max(0, start_month - Period.from_date(first_work_date))
    if deemed_months > most:
        raise InvalidInput(
            ERROR_DEEMED_TOO_MANY,
            code="deemed_months_too_many",
            params={
                "deemed": deemed_months,
                "most": most,
                "first_work": first_work_date.isoformat(),
                "start": str(start_month),
            },
            details={"field": "deemed_months"},
        )


def _refuse_duplicate(number: str, *, exclude_pk: int | None = None) -> None:
    existing = InsuredPerson.objects.filter(id_number=number).select_related("agency")
    if exclude_pk is not None:
        existing = existing.exclude(pk=exclude_pk)
    person = existing.first()
    if person is not None:
        raise Conflict(
            _("The citizen ID number %(number)s is already registered to %(name)s (%(agency)s)."),
            code="duplicate_id_number",
            params={"number": number, "name": person.name, "agency": person.agency.name},
            details={"field": "id_number", "person_id": person.pk},
        )


@transaction.atomic
def person_register(
    *,
    actor: StaffUser | None,
    id_number: str,
    name: str,
    category: str,
    region: Region,
    birth_date: date | None = None,
    sex: str | None = None,
    occupation_kind: str = "worker",
    first_work_date: date | None = None,
    first_insured_date: date | None = None,
    deemed_months: int = 0,
    **contact: Any,
) -> InsuredPerson:
    """Register an insured person (个人参保登记, §6.2.1).

    Birth date and sex come from the ID number; when entered, they must agree with it.
    """
    parsed = _check_identity(id_number, birth_date, sex)
    _refuse_duplicate(parsed.number)
    _may_prepare(actor, region, InsuredPerson)
    check_work_history(
        birth_date=parsed.birth_date,
        first_work_date=first_work_date,
        deemed_months=deemed_months or 0,
        region=region,
    )
    unknown = set(contact) - set(CONTACT_FIELDS) - set(BANK_FIELDS)
    if unknown:
        raise InvalidInput(
            _("Unknown fields: %(fields)s"),
            code="unknown_field",
            params={"fields": sorted(unknown)},
        )
    person = InsuredPerson(
        id_number=parsed.number,
        name=name.strip(),
        sex=parsed.sex,
        birth_date=parsed.birth_date,
        category=category,
        occupation_kind=occupation_kind,
        first_work_date=first_work_date,
        first_insured_date=first_insured_date or timezone.localdate(),
        deemed_months=deemed_months,
        region=region,
        agency=owning_agency(region),
        status=PersonStatus.CONTRIBUTING
        if category != PersonCategory.EMPLOYEE
        else PersonStatus.INTERRUPTED,
        **contact,
    )
    _full_clean(person)
    try:
        with transaction.atomic():
            person.save()
    except IntegrityError:  # a concurrent registration of the same number
        _refuse_duplicate(parsed.number)
        raise
    changelog.record(
        actor=actor, action=ChangeAction.CREATE, instance=person, after=changelog.snapshot(person)
    )
    return person


def _full_clean(instance) -> None:
    try:
        instance.full_clean()
    except ValidationError as error:
        field, errors = next(iter(error.message_dict.items()))
        raise InvalidInput(errors[0], code="invalid", details={"field": field}) from None


@transaction.atomic
def person_update_contact(
    *, actor: StaffUser, person: InsuredPerson, reason: str = "", **changes: Any
) -> InsuredPerson:
    """Change contact data directly (no approval), logged (§6.2.2)."""
    bank = set(changes) & set(BANK_FIELDS)
    if bank:
        raise InvalidInput(
            _("The bank account changes only through an approved request."),
            code="bank_account_needs_approval",
            details={"field": sorted(bank)[0]},
        )
    not_contact = set(changes) - set(CONTACT_FIELDS)
    if not_contact:
        raise InvalidInput(
            _("Key data (%(fields)s) changes only through an approved request."),
            code="key_data_needs_approval",
            params={"fields": ", ".join(sorted(not_contact))},
        )
    person = InsuredPerson.objects.select_for_update().get(pk=person.pk)
    before = changelog.snapshot(person, list(changes))
    for field, value in changes.items():
        setattr(person, field, value)
    _full_clean(person)
    try:
        with transaction.atomic():
            person.save()
    except IntegrityError:
        raise Conflict(
            _("This social security card number belongs to someone else."),
            code="duplicate_card_number",
            details={"field": "card_number"},
        ) from None
    changelog.record(
        actor=actor,
        action=ChangeAction.UPDATE,
        instance=person,
        before=before,
        after=changelog.snapshot(person, list(changes)),
        reason=reason,
    )
    return person


def _close_employments(
    actor: StaffUser | None, person: InsuredPerson, stop: Period, reason: str
) -> None:
    """Close every open employment of ``person`` from ``stop`` (the first month not
    assessed); an employment that would only start at ``stop`` or later never took
    effect and is deleted. One change-log row each (DESIGN §5.2: a person who retires
    or dies is never assessed after)."""
    for employment in Employment.objects.select_for_update().filter(
        person=person, stop_period__isnull=True
    ):
        before = changelog.snapshot(employment)
        if employment.start_period >= stop:
            changelog.record(
                actor=actor, action=ChangeAction.DELETE, instance=employment, before=before,
                reason=reason,
            )  # fmt: skip
            employment.delete()
            continue
        employment.stop_period = stop
        employment.stop_reason = reason[:200]
        employment.save(update_fields=["stop_period", "stop_reason", "updated_at"])
        changelog.record(
            actor=actor,
            action=ChangeAction.UPDATE,
            instance=employment,
            before=before,
            after=changelog.snapshot(employment),
            reason=reason,
        )


@transaction.atomic
def person_status_change(
    *,
    actor: StaffUser | None,
    person: InsuredPerson,
    status: str,
    reason: str,
    stop: Period | None = None,
) -> InsuredPerson:
    """Set a person's insurance status (参保状态) as a downstream case decided it (a
    transfer out, a retirement, a death), logged. The case is the approval.

    Retired, deceased, transferred out or terminated: every open employment is closed
    from ``stop`` (the first month no longer assessed: the retirement month, the month
    after death; by default the month after today), so that no assessment run picks
    the person up again."""
    if status not in PersonStatus.values:
        raise InvalidInput(
            _("Unknown status: %(status)s"), code="unknown_status", params={"status": status}
        )
    person = InsuredPerson.objects.select_for_update().get(pk=person.pk)
    before = {"status": person.status}
    person.status = status
    person.save(update_fields=["status", "updated_at"])
    changelog.record(
        actor=actor,
        action=ChangeAction.UPDATE,
        instance=person,
        before=before,
        after={"status": status},
        reason=reason,
    )
    if status in CLOSING_STATUSES:
        stop = stop or Period.from_date(timezone.localdate()).next()
        _close_employments(actor, person, stop, reason)
    return person


FLEXIBLE_CATEGORIES = (PersonCategory.FLEXIBLE, PersonCategory.INDIVIDUAL_BUSINESS)
ERROR_NOT_FLEXIBLE = _(
    "%(name)s is not a flexible worker or individual business owner; an employee stops "
    "contributing when the employer removes them."
)
ERROR_NOT_CONTRIBUTING = _("%(name)s is not contributing (status: %(status)s).")
ERROR_NOT_INTERRUPTED = _("%(name)s has not stopped contributing (status: %(status)s).")


def _flexible_status(
    *, actor: StaffUser, person: InsuredPerson, reason: str, was: str, now: str, error
) -> InsuredPerson:
    # the owning region's staff only (registration is province-wide, this is not)
    if not region_allows(actor, person.region_id, "prepare"):
        raise NotPermitted(_("You cannot change records of this region."), code="outside_region")
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("Give the reason for the change."), code="reason_required")
    person = InsuredPerson.objects.select_for_update().get(pk=person.pk)
    if person.category not in FLEXIBLE_CATEGORIES:
        raise Conflict(ERROR_NOT_FLEXIBLE, code="not_flexible", params={"name": person.name})
    if person.status != was:
        raise Conflict(
            error,
            code="wrong_status",
            params={"name": person.name, "status": person.get_status_display()},
        )
    return person_status_change(actor=actor, person=person, status=now, reason=reason)


@transaction.atomic
def flexible_contribution_interrupt(
    *, actor: StaffUser, person: InsuredPerson, reason: str
) -> InsuredPerson:
    """A flexible worker or individual business owner stops contributing at the hall
    (中断缴费): the status becomes interrupted and the monthly assessment no longer
    assesses them as flexible, from the next run on; months already assessed stay as
    they are (their bills are still owed or paid). The account is sealed, not closed
    (§8.2.3)."""
    return _flexible_status(
        actor=actor, person=person, reason=reason, was=PersonStatus.CONTRIBUTING,
        now=PersonStatus.INTERRUPTED, error=ERROR_NOT_CONTRIBUTING,
    )  # fmt: skip


@transaction.atomic
def flexible_contribution_resume(
    *, actor: StaffUser, person: InsuredPerson, reason: str
) -> InsuredPerson:
    """A flexible worker who stopped contributing resumes (恢复缴费): status
    contributing again, assessed as flexible from the next run (with a base declared
    for the year)."""
    return _flexible_status(
        actor=actor, person=person, reason=reason, was=PersonStatus.INTERRUPTED,
        now=PersonStatus.CONTRIBUTING, error=ERROR_NOT_INTERRUPTED,
    )  # fmt: skip


def _key_data_proposal(person: InsuredPerson, changes: dict[str, Any]) -> dict[str, Any]:
    """Validate a proposed key-data change and return it in stored (JSON) form."""
    unknown = set(changes) - set(KEY_FIELDS)
    if unknown:
        raise InvalidInput(
            _("Only key data can be changed this way, not %(fields)s."),
            code="not_key_data",
            params={"fields": ", ".join(sorted(unknown))},
        )
    changes = dict(changes)
    if "region" in changes:
        changes["region"] = _county(changes["region"])
    proposal = {k: v for k, v in changes.items() if getattr(person, k) != v}
    if not proposal:
        raise InvalidInput(_("Nothing would change."), code="no_change")
    if "occupation_kind" in proposal and proposal["occupation_kind"] not in OccupationKind.values:
        raise InvalidInput(
            _("Unknown occupation kind: %(kind)s"),
            code="unknown_occupation_kind",
            params={"kind": proposal["occupation_kind"]},
            details={"field": "occupation_kind"},
        )
    number = proposal.get("id_number", person.id_number)
    parsed = _check_identity(number, proposal.get("birth_date"), None)
    if "id_number" in proposal:
        proposal["id_number"] = parsed.number
        _refuse_duplicate(parsed.number, exclude_pk=person.pk)
        # birth date and sex follow the number
        if parsed.birth_date != person.birth_date:
            proposal.setdefault("birth_date", parsed.birth_date)
        if parsed.sex != person.sex:
            proposal["sex"] = parsed.sex
    elif "birth_date" in proposal and proposal["birth_date"] != parsed.birth_date:
        raise InvalidInput(
            _("The birth date must agree with the citizen ID number; change the number instead."),
            code="birth_date_mismatch",
            details={"field": "birth_date"},
        )
    if proposal.get("first_insured_date") is None and "first_insured_date" in proposal:
        raise InvalidInput(
            _("Give the first insured date."),
            code="first_insured_date_required",
            details={"field": "first_insured_date"},
        )
    first_insured = proposal.get("first_insured_date")
    if first_insured is not None and first_insured > timezone.localdate():
        raise InvalidInput(
            _("The first insured date %(date)s is in the future."),
            code="first_insured_future",
            params={"date": first_insured.isoformat()},
            details={"field": "first_insured_date"},
        )
    # the work history as it would stand after the change
    check_work_history(
        birth_date=proposal.get("birth_date", person.birth_date),
        first_work_date=proposal.get("first_work_date", person.first_work_date),
        deemed_months=proposal.get("deemed_months", person.deemed_months) or 0,
        region=proposal.get("region", person.region),
    )
    return changelog.json_safe(proposal)


def _county(value: Region | str) -> Region:
    """The region a person belongs to (参保地), by its division code."""
    code = value.code if isinstance(value, Region) else str(value or "").strip()
    region = Region.objects.filter(code=code).first()
    if region is None:
        raise InvalidInput(
            _("%(code)s is not a known division code."),
            code="unknown_region",
            params={"code": code},
            details={"field": "region"},
        )
    return region


def person_key_data_change_request(
    *,
    actor: StaffUser,
    person: InsuredPerson,
    changes: dict[str, Any],
    reason: str,
    attachments: Iterable = (),
) -> ApprovalRequest:
    """Propose a change of key personal data (关键信息变更, §6.2.2) for approval."""
    if not reason.strip():
        raise InvalidInput(_("Give the reason for the change."), code="reason_required")
    proposal = _key_data_proposal(person, changes)
    return approvals.approval_request_create(
        actor=actor,
        operation=KEY_DATA_CHANGE,
        agency=person.agency,
        summary=str(_("Key data of %(name)s")) % {"name": person.name},
        payload=proposal,
        before={k: changelog.json_safe(getattr(person, k)) for k in proposal},
        target=person,
        reason=reason,
        attachments=attachments,
    )


def _apply_key_data_change(request: ApprovalRequest, checker: StaffUser) -> dict:
    person = InsuredPerson.objects.select_for_update().get(pk=request.object_id)
    payload = dict(request.payload)
    # validate again against today's data: another change may have landed meanwhile
    changes = {
        k: (date.fromisoformat(v) if k in DATE_KEY_FIELDS and v else v) for k, v in payload.items()
    }
    sex = changes.pop("sex", None)
    _key_data_proposal(person, changes)
    logged = [*changes, "sex", *(["agency"] if "region" in changes else [])]
    before = changelog.snapshot(person, logged)
    for field, value in changes.items():
        if field == "region":
            region = _county(value)
            person.region = region
            person.agency = owning_agency(region)  # the owning agency follows
        else:
            setattr(person, field, value)
    if sex:
        person.sex = sex
    _full_clean(person)
    person.save()
    changelog.record(
        actor=checker,
        action=ChangeAction.UPDATE,
        instance=person,
        before=before,
        after=changelog.snapshot(person, logged),
        reason=str(_("Approval request #%(id)s: %(reason)s"))
        % {"id": request.pk, "reason": request.maker_reason},
    )
    return {"person_id": person.pk}


KEY_DATA_CHANGE = "enrollment.person_key_data_change"
DATE_KEY_FIELDS = ("birth_date", "first_work_date", "first_insured_date")


def _field_labels() -> dict[str, Any]:
    return {f: InsuredPerson._meta.get_field(f).verbose_name for f in (*KEY_FIELDS, "sex")}


approvals.register_operation(
    KEY_DATA_CHANGE,
    label=_("Change of key personal data"),
    apply=_apply_key_data_change,
    field_labels=_field_labels(),
)


# --- the bank account pensions are paid to (§6.2.2.3) --------------------------------

BANK_ACCOUNT_CHANGE = "enrollment.person_bank_account_change"
ERROR_BANK_OUTSIDE_REGION = _(
    "The bank account of a person is changed only by the owning region's agency."
)
ERROR_BANK_NAME_REQUIRED = _("Enter the bank.")
ERROR_BANK_ACCOUNT_FORM = _("A bank account number has 8 to 32 digits.")


def _bank_proposal(person: InsuredPerson, bank_name: str, bank_account: str) -> dict[str, str]:
    bank_name = (bank_name or "").strip()
    bank_account = (bank_account or "").strip().replace(" ", "")
    if not bank_name:
        raise InvalidInput(
            ERROR_BANK_NAME_REQUIRED, code="bank_name_required", details={"field": "bank_name"}
        )
    if not (bank_account.isascii() and bank_account.isdigit() and 8 <= len(bank_account) <= 32):
        raise InvalidInput(
            ERROR_BANK_ACCOUNT_FORM, code="bank_account_form", details={"field": "bank_account"}
        )
    proposal = {
        field: value
        for field, value in (("bank_name", bank_name), ("bank_account", bank_account))
        if getattr(person, field) != value
    }
    if not proposal:
        raise InvalidInput(_("Nothing would change."), code="no_change")
    return proposal


def person_bank_account_change_request(
    *,
    actor: StaffUser,
    person: InsuredPerson,
    bank_name: str,
    bank_account: str,
    reason: str,
    attachments: Iterable = (),
) -> ApprovalRequest:
    """Propose a new bank and account for a person's pension (发放银行、账号变更,
    §6.2.2.3). Unlike other cases (异地通办), only staff of the owning region prepare
    it, and a reviewer of the owning agency approves it; nothing changes until then."""
    if not region_allows(actor, person.region_id, "prepare"):
        raise NotPermitted(ERROR_BANK_OUTSIDE_REGION, code="outside_region")
    if not reason.strip():
        raise InvalidInput(_("Give the reason for the change."), code="reason_required")
    proposal = _bank_proposal(person, bank_name, bank_account)
    return approvals.approval_request_create(
        actor=actor,
        operation=BANK_ACCOUNT_CHANGE,
        agency=person.agency,
        summary=str(_("Bank account of %(name)s")) % {"name": person.name},
        payload=proposal,
        before={k: getattr(person, k) for k in BANK_FIELDS},
        target=person,
        reason=reason,
        attachments=attachments,
    )


def _apply_bank_account_change(request: ApprovalRequest, checker: StaffUser) -> dict:
    person = InsuredPerson.objects.select_for_update().get(pk=request.object_id)
    changes = dict(request.payload)
    _bank_proposal(
        person,
        changes.get("bank_name", person.bank_name),
        changes.get("bank_account", person.bank_account),
    )
    before = changelog.snapshot(person, list(BANK_FIELDS))
    for field, value in changes.items():
        setattr(person, field, value)
    _full_clean(person)
    person.save(update_fields=[*changes, "updated_at"])
    changelog.record(
        actor=checker,
        action=ChangeAction.UPDATE,
        instance=person,
        before=before,
        after=changelog.snapshot(person, list(BANK_FIELDS)),
        reason=str(_("Approval request #%(id)s: %(reason)s"))
        % {"id": request.pk, "reason": request.maker_reason},
    )
    return {"person_id": person.pk}


approvals.register_operation(
    BANK_ACCOUNT_CHANGE,
    label=_("Change of the bank account pensions are paid to"),
    apply=_apply_bank_account_change,
    field_labels={f: InsuredPerson._meta.get_field(f).verbose_name for f in BANK_FIELDS},
)


# --- employment ----------------------------------------------------------------------


@transaction.atomic
def employment_add(
    *, actor: StaffUser | None, employer: Employer, person: InsuredPerson, start: Period
) -> Employment:
    """Add a person to an employer's roster from a month (增员, §7.1.2)."""
    if employer.status != EmployerStatus.ACTIVE:
        raise Conflict(
            _("%(employer)s is not active; nobody can be added."),
            code="employer_not_active",
            params={"employer": employer.name},
        )
    if person.status in (PersonStatus.RETIRED, PersonStatus.DECEASED):
        raise Conflict(
            _("%(name)s is %(status)s and cannot be employed."),
            code="person_not_employable",
            params={"name": person.name, "status": person.get_status_display()},
        )
    current = person.employments.filter(stop_period__isnull=True).select_related("employer").first()
    if current is not None:
        raise Conflict(
            _("%(name)s is still on the roster of %(employer)s; remove them there first."),
            code="already_employed",
            params={"name": person.name, "employer": current.employer.name},
        )
    overlapping = person.employments.filter(stop_period__gt=start).first()
    if overlapping is not None:
        raise Conflict(
            _("%(name)s was employed until %(stop)s; the new employment cannot start earlier."),
            code="overlapping_employment",
            params={"name": person.name, "stop": overlapping.stop_period},
        )
    employment = Employment(person=person, employer=employer, start_period=start)
    with transaction.atomic():
        try:
            employment.save()
        except IntegrityError:  # the exclusion constraint: a concurrent addition
            raise Conflict(
                _("%(name)s already has an employment in that period.") % {"name": person.name},
                code="overlapping_employment",
            ) from None
    if person.category == PersonCategory.EMPLOYEE and person.status == PersonStatus.INTERRUPTED:
        InsuredPerson.objects.filter(pk=person.pk).update(status=PersonStatus.CONTRIBUTING)
    changelog.record(
        actor=actor,
        action=ChangeAction.CREATE,
        instance=employment,
        after=changelog.snapshot(employment),
    )
    return employment


@transaction.atomic
def employment_remove(
    *, actor: StaffUser | None, employment: Employment, stop: Period, reason: str = ""
) -> Employment:
    """Remove a person from the roster from a month (减员, §7.1.2)."""
    employment = Employment.objects.select_for_update().get(pk=employment.pk)
    if employment.stop_period is not None:
        raise Conflict(_("This employment has already ended."), code="already_removed")
    if stop <= employment.start_period:
        raise InvalidInput(
            _("The removal month must come after the month added (%(start)s)."),
            code="stop_before_start",
            params={"start": employment.start_period},
        )
    before = changelog.snapshot(employment)
    employment.stop_period = stop
    employment.stop_reason = reason
    employment.save()
    person = employment.person
    if person.status == PersonStatus.CONTRIBUTING and person.category == PersonCategory.EMPLOYEE:
        InsuredPerson.objects.filter(pk=person.pk).update(status=PersonStatus.INTERRUPTED)
    changelog.record(
        actor=actor,
        action=ChangeAction.UPDATE,
        instance=employment,
        before=before,
        after=changelog.snapshot(employment),
        reason=reason,
    )
    return employment
