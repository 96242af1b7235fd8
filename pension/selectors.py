"""Reads of the shared kernel."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from pension.models import Agency, PolicyParameter, PolicyProfile, Region
from pension.policy import PolicyValue, spec_for, typed_value


def region_get(code: str) -> Region:
    return Region.objects.select_related("parent__parent").get(code=code)


def region_descendants(region: Region) -> QuerySet[Region]:
    """The region and every region below it (by code prefix)."""
    return Region.objects.filter(code__startswith=region.scope_prefix)


def agency_list(*, region: Region | None = None) -> QuerySet[Agency]:
    qs = Agency.objects.select_related("region").filter(is_active=True)
    if region is not None:
        qs = qs.filter(region__code__startswith=region.scope_prefix)
    return qs


def profile_for_region(region: Region | None) -> PolicyProfile:
    """The profile of the region's province, or the configured default profile."""
    if region is not None:
        profile = PolicyProfile.objects.filter(province_id=region.province_code).first()
        if profile is not None:
            return profile
    try:
        return PolicyProfile.objects.get(code=settings.DEFAULT_PROFILE)
    except PolicyProfile.DoesNotExist:
        raise ValidationError(
            _("No province profile is configured: %(code)s"),
            code="no_profile",
            params={"code": settings.DEFAULT_PROFILE},
        ) from None


def policy_value(
    key: str,
    *,
    on: date,
    region: Region | str | None = None,
    as_of: date | None = None,
) -> PolicyValue:
    """Which value of ``key`` applied on ``on`` in ``region``.

    The most specific scope that has a value in force wins: the region itself, then
    the regions above it, then the region's province profile, then the national value.
    Within a scope, the latest ``effective_from`` not after ``on`` wins, and of its
    versions the highest. With ``as_of``, values published after that day are ignored
    (what a provisional calculation on that day saw).
    """
    spec = spec_for(key)
    if isinstance(region, str):
        region = region_get(region)
    profile = profile_for_region(region)
    chain = [r.code for r in region.ancestors()] if region is not None else []

    scope = Q(profile__isnull=True, region__isnull=True)
    scope |= Q(profile=profile, region__isnull=True)
    if chain:
        scope |= Q(profile=profile, region__in=chain)
    rows = PolicyParameter.objects.filter(scope, key=key, effective_from__lte=on)
    if as_of is not None:
        rows = rows.filter(Q(published_on__isnull=True) | Q(published_on__lte=as_of))

    def specificity(row: PolicyParameter) -> int:
        if row.region_id:
            return len(chain) - chain.index(row.region_id) + 1
        return 1 if row.profile_id else 0

    candidates = sorted(
        rows, key=lambda r: (specificity(r), r.effective_from, r.version), reverse=True
    )
    if not candidates:
        raise ValidationError(
            _("No value of the policy parameter “%(label)s” (%(key)s) applies on %(date)s."),
            code="parameter_missing",
            params={"date": on.isoformat(), "label": spec.label, "key": key},
        )
    row = candidates[0]
    return PolicyValue(
        key=key,
        value=typed_value(spec.kind, row.value),
        parameter_id=row.pk,
        version=row.version,
        effective_from=row.effective_from,
        profile=row.profile_id,
        region_code=row.region_id,
        reference_year=row.reference_year,
    )


def policy_parameter_history(key: str, *, profile: PolicyProfile | None = None):
    """Every value and version of a key, newest first, for the admin and audits."""
    qs = PolicyParameter.objects.filter(key=key).select_related("profile", "region")
    if profile is not None:
        qs = qs.filter(Q(profile=profile) | Q(profile__isnull=True))
    return qs.order_by("-effective_from", "-version")


def database_ping() -> None:
    """One round trip to the database (``SELECT 1``), for the health check; raises what
    the driver raises when the database does not answer."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
