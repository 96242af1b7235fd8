"""History transferred in from another province (转入缴费记录, 国办发〔2009〕66号).

A transfer in brings, with the account and the pooled amount, the months the person
contributed in the other province: each month's base and the contribution index that
province recorded on its certificate (参保缴费凭证). The transfer-in case
(``accounts.cases.transfer_in_request``) carries them as spans of months with one base
and index each; its approval writes one ``TransferredMonth`` a month
(``transferred_months_record``). They count in the months contributed and in N and Z
(``contributions.selectors``; DESIGN §5.2), never in the 12 % pooled share of a later
transfer out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from contributions.models import ContributionLine, TransferredMonth
from contributions.selectors import CONTRIBUTED_KINDS
from enrollment.models import InsuredPerson
from pension import changelog
from pension.errors import Conflict, InvalidInput
from pension.models import ApprovalRequest, ChangeAction, StaffUser
from pension.money import INDEX_DECIMAL_PLACES, parse_money
from pension.periods import Period

ERROR_LINE = _(
    "Transferred months, line %(line)s: write the first month, the last month, the "
    "monthly base and the index, e.g. 2015-01 2016-06 5000.00 0.9321."
)
ERROR_MONTHS = _(
    "Transferred months, line %(line)s: %(first)s to %(last)s is not a span of months "
    "before this month."
)
ERROR_BASE = _(
    "Transferred months, line %(line)s: the base must be a positive amount in yuan with "
    "at most two decimals."
)
ERROR_INDEX = _(
    "Transferred months, line %(line)s: the index must be a positive number with at "
    "most %(places)s decimals."
)
ERROR_TWICE = _("Transferred months: %(period)s is given twice.")
ERROR_TAKEN = _(
    "%(period)s is already contributed in this province or transferred in before; it "
    "cannot be transferred in again."
)


def parse_history_text(text: str) -> list[dict[str, str]]:
    """Spans from text, one a line: first month, last month, monthly base, index
    (separated by spaces, commas or tabs); empty lines skipped."""
    spans = []
    for number, raw in enumerate((text or "").splitlines(), start=1):
        parts = [p for p in re.split(r"[\s,，]+", raw.strip()) if p]
        if not parts:
            continue
        if len(parts) != 4:
            raise InvalidInput(ERROR_LINE, code="history_line", params={"line": number})
        spans.append({"first": parts[0], "last": parts[1], "base": parts[2], "index": parts[3]})
    return spans


def history_check(
    *, person: InsuredPerson, spans: Iterable[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """The spans checked and in stored form (``first``, ``last``, ``base``, ``index``,
    ``months``): months valid and before the current month, base a positive amount
    (``parse_money``), index positive with at most ``INDEX_DECIMAL_PLACES`` decimals, no
    month twice, and no month the person already has here (a contribution line of a
    contributed kind, paid or not, or a month transferred in before)."""
    current = Period.from_date(timezone.localdate())
    checked: list[dict[str, Any]] = []
    months: list[Period] = []
    for number, span in enumerate(spans, start=1):
        try:
            first, last = Period.parse(str(span["first"])), Period.parse(str(span["last"]))
        except (KeyError, ValueError, TypeError, ValidationError):
            raise InvalidInput(ERROR_LINE, code="history_line", params={"line": number}) from None
        if last < first or last >= current:
            raise InvalidInput(
                ERROR_MONTHS,
                code="history_months",
                params={"line": number, "first": str(first), "last": str(last)},
            )
        try:
            base = parse_money(str(span.get("base", "")))
        except (ValueError, TypeError, InvalidOperation):
            base = None
        if base is None or base <= 0:
            raise InvalidInput(ERROR_BASE, code="history_base", params={"line": number})
        try:
            index = Decimal(str(span.get("index", "")).strip())
        except InvalidOperation:
            index = None
        if (
            index is None
            or not index.is_finite()
            or index <= 0
            or index.as_tuple().exponent < -INDEX_DECIMAL_PLACES
        ):
            raise InvalidInput(
                ERROR_INDEX,
                code="history_index",
                params={"line": number, "places": INDEX_DECIMAL_PLACES},
            )
        span_months = list(Period.range(first, last))
        months += span_months
        checked.append(
            {
                "first": str(first),
                "last": str(last),
                "base": str(base),
                "index": str(index),
                "months": len(span_months),
            }
        )
    seen: set[Period] = set()
    for period in months:
        if period in seen:
            raise InvalidInput(ERROR_TWICE, code="history_twice", params={"period": str(period)})
        seen.add(period)
    if seen:
        wanted = [p.as_int for p in sorted(seen)]
        taken = (
            ContributionLine.objects.filter(
                person=person, posted=True, kind__in=CONTRIBUTED_KINDS, period__in=wanted
            )
            .order_by("period")
            .values_list("period", flat=True)
            .first()
        )
        if taken is None:
            taken = (
                TransferredMonth.objects.filter(person=person, period__in=wanted)
                .order_by("period")
                .values_list("period", flat=True)
                .first()
            )
        if taken is not None:
            raise Conflict(ERROR_TAKEN, code="history_taken", params={"period": str(taken)})
    return checked


def transferred_months_record(
    *,
    actor: StaffUser,
    person: InsuredPerson,
    request: ApprovalRequest,
    from_province: str,
    spans: Iterable[Mapping[str, Any]],
) -> int:
    """Write the months of an approved transfer-in case, one row a month, after
    checking the spans again (another case may have landed since the request); one
    change-log row. Runs inside the approval's transaction. Returns the months
    written."""
    checked = history_check(person=person, spans=spans)
    rows = [
        TransferredMonth(
            person=person,
            period=period,
            base=Decimal(span["base"]),
            contribution_index=Decimal(span["index"]),
            from_province=from_province,
            case=request,
        )
        for span in checked
        for period in Period.range(span["first"], span["last"])
    ]
    for row in rows:
        row.full_clean(exclude=["person", "case"])
    TransferredMonth.objects.bulk_create(rows)
    if rows:
        changelog.record(
            actor=actor,
            action=ChangeAction.CREATE,
            instance=person,
            after={"transferred_months": checked, "from_province": from_province},
            reason=str(_("Approval request #%(id)s")) % {"id": request.pk},
        )
    return len(rows)
