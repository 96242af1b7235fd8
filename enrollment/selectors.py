"""Reads of registration (参保登记), region-scoped through ``pension.scope.restrict``."""

from __future__ import annotations

import re

from django.contrib.postgres.search import TrigramSimilarity
from django.db.models import QuerySet

from enrollment.models import Employer, Employment, InsuredPerson
from pension.periods import Period
from pension.scope import restrict

_ID_LIKE = re.compile(r"^\d{17}[\dXx]$")
_CARD_LIKE = re.compile(r"^[A-Za-z0-9]{6,20}$")


def person_list(user, action: str = "view") -> QuerySet[InsuredPerson]:
    return restrict(InsuredPerson.objects.select_related("region", "agency"), user, action)


def person_search(user, query: str, *, limit: int | None = 50) -> QuerySet[InsuredPerson]:
    """By citizen ID number (exact), social security card number (exact) or name
    (partial, using the trigram index), within what ``user`` may see; the first
    ``limit`` (all with ``None``: the page pages them and says how many matched)."""
    query = (query or "").strip()
    people = person_list(user)
    if not query:
        return people.none()
    if _ID_LIKE.match(query):
        return people.filter(id_number=query.upper())
    if _CARD_LIKE.match(query) and any(ch.isdigit() for ch in query):
        return people.filter(card_number=query.upper())
    if len(query) == 1:
        return people.filter(name__startswith=query).order_by("name", "id")[:limit]
    return (
        # contains, not icontains: Chinese has no case, and UPPER(name) would bypass
        # the trigram index
        people.filter(name__contains=query)
        .annotate(similarity=TrigramSimilarity("name", query))
        .order_by("-similarity", "name", "id")[:limit]
    )


def person_get(user, pk: int) -> InsuredPerson:
    return person_list(user).get(pk=pk)


def employer_list(user, action: str = "view") -> QuerySet[Employer]:
    return restrict(Employer.objects.select_related("region", "agency"), user, action)


def employer_search(user, query: str, *, limit: int | None = 50) -> QuerySet[Employer]:
    query = (query or "").strip()
    employers = employer_list(user)
    if not query:
        return employers.none()
    if len(query) == 18 and query.isalnum():
        return employers.filter(credit_code=query.upper())
    return employers.filter(name__contains=query).order_by("name", "id")[:limit]


def employer_roster(employer: Employer, *, period: Period | None = None) -> QuerySet[Employment]:
    """Who is on the roster: now, or in a given month."""
    employments = employer.employments.select_related("person")
    if period is None:
        return employments.filter(stop_period__isnull=True).order_by("person__name")
    return (
        employments.filter(start_period__lte=period)
        .exclude(stop_period__lte=period)
        .order_by("person__name")
    )


def person_employments(person: InsuredPerson) -> QuerySet[Employment]:
    return person.employments.select_related("employer").order_by("-start_period")


# SQL fragments for the set-based batches downstream (DESIGN §2.1): another app's raw
# SQL reads the registration only through these relations (``FROM {persons} p``), never
# by the table's name, so the registration's tables stay this app's to change. Each is a
# plain sub-select, which PostgreSQL pulls up into the statement: the plan is the one a
# join on the table would get. The columns listed are the ones other apps may rely on.
def insured_persons_sql() -> str:
    """The insured persons (参保人员): ``id``, ``region_id``, ``status``, ``category``,
    ``name``, ``id_number``, ``birth_date``, ``bank_name``, ``bank_account``."""
    return (
        "(SELECT id, region_id, status, category, name, id_number, birth_date, bank_name,"
        f" bank_account FROM {InsuredPerson._meta.db_table})"
    )


def employments_sql() -> str:
    """The employments (参保关系): ``id``, ``person_id``, ``employer_id``,
    ``start_period``, ``stop_period``."""
    return (
        "(SELECT id, person_id, employer_id, start_period, stop_period"
        f" FROM {Employment._meta.db_table})"
    )


def employers_sql() -> str:
    """The employers (参保单位): ``id``, ``region_id``, ``name``."""
    return f"(SELECT id, region_id, name FROM {Employer._meta.db_table})"


def insured_people_sql(*, region_prefix: str = "") -> tuple[str, dict]:
    """The register as one SQL fragment for set-based batches downstream (the month-end
    snapshot of budget): columns ``person_id, region_id, sex, birth_date, status`` of
    every person whose region starts with ``region_prefix``; parameter ``people_prefix``."""
    sql = """
        SELECT p.id AS person_id, p.region_id, p.sex, p.birth_date, p.status
          FROM enrollment_insuredperson p
         WHERE p.region_id LIKE %(people_prefix)s
    """
    return sql, {"people_prefix": f"{region_prefix}%"}
