"""Synthetic retirees for the benchmarks (基准测试数据: 退休人员与待遇核定), written
set-based: one ``INSERT … SELECT generate_series`` statement writes the insured people
and, from what it returns, their determinations.

``make_retirees(n)`` is used by ``manage.py bench_adjustment`` (the annual adjustment)
and can be reused by the payroll benchmark. Each retiree:

- an insured person, status retired, category employee, citizen ID ``97`` + 16 digits
  (the form the ``person_id_number_form`` check asks for; the demo's numbers start with
  region codes, so these never collide), born 1940–1965, men and women alternately,
  spread evenly over the counties given (by default every county of the default
  profile's province), of the agency of the county (or, failing one, of its city or
  province), with a bank (five banks in turn) and a bank account;
- one current determination, in payment (one in fifty suspended), retired at 60 (the
  month of the 60th birthday, never after 2025-12), 180–479 months contributed and
  0–119 deemed, components worked out like a real pension on a base of 7 000.00
  (basic = base × (1 + Z) / 2 × years × 1 %, account = balance / 139, transitional =
  base × Z × deemed years × 1.3 %, extra 0) with the total their sum, and
  ``paid_through`` the month before this one (as if the last payroll was approved).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.db import connection, transaction
from django.utils import timezone

from pension.choices import RegionLevel
from pension.models import Agency, Region
from pension.periods import Period
from pension.selectors import profile_for_region

ID_PREFIX = "97"
BANKS = ["中国工商银行", "中国建设银行", "中国农业银行", "中国银行", "中国邮政储蓄银行"]

_RETIREES_SQL = """
WITH src AS (
    SELECT i, %(offset)s + i AS k,
           (DATE '1940-01-01' + ((i::bigint * 7919) %% 9131) * INTERVAL '1 day')::date AS birth,
           1 + (i %% %(n_regions)s) AS slot
      FROM generate_series(1, %(n)s) i
), people AS (
    INSERT INTO enrollment_insuredperson (id_number, name, sex, birth_date, category,
        occupation_kind, first_work_date, first_insured_date, deemed_months, card_number,
        bank_name, bank_account, phone, address, status, region_id, agency_id, created_at,
        updated_at)
    SELECT %(prefix)s || lpad(s.k::text, 16, '0'), '退休' || (s.k %% 10000)::text,
           CASE WHEN s.k %% 2 = 0 THEN 'M' ELSE 'F' END, s.birth, 'employee', 'worker',
           (s.birth + INTERVAL '20 years')::date, (s.birth + INTERVAL '20 years')::date,
           (s.k %% 120)::int, '', (%(banks)s::text[])[1 + s.k %% %(n_banks)s],
           '62' || lpad(s.k::text, 17, '0'), '', '', 'retired',
           (%(regions)s::text[])[s.slot], (%(agencies)s::bigint[])[s.slot], now(), now()
      FROM src s
    RETURNING id, region_id, agency_id, birth_date, deemed_months
), base AS (
    SELECT p.id, p.region_id, p.agency_id, p.deemed_months,
           least((p.birth_date + INTERVAL '60 years')::date, DATE '2025-12-31') AS retired,
           180 + (p.id %% 300)::int AS actual,
           round(0.6 + (p.id %% 140) / 100.0, 4) AS z,
           20000 + (p.id %% 80000) AS balance
      FROM people p
), parts AS (
    SELECT b.*,
           round((b.actual + b.deemed_months) / 12.0, 4) AS years,
           round(7000 * (1 + b.z) / 2 * round((b.actual + b.deemed_months) / 12.0, 4) * 0.01, 2)
               AS basic,
           round(b.balance / 139.0, 2) AS account,
           round(7000 * b.z * b.deemed_months / 12.0 * 0.013, 2) AS transitional
      FROM base b
)
INSERT INTO benefits_pensiondetermination (person_id, region_id, agency_id, case_id, kind,
    status, retirement_date, retirement_month, statutory_date, public_notice_date,
    actual_months, deemed_months, contribution_years, average_index, transitional_index,
    divisor, account_balance, calculation_base, local_calculation_base,
    calculation_base_year, provisional, basic_pension, account_pension,
    transitional_pension, extra_pension, total, inputs, parameters, determined_by_id,
    created_at, settlement, superseded_by_id, paid_through, stop_month)
SELECT x.id, x.region_id, x.agency_id, NULL, 'statutory',
       CASE WHEN x.id %% 50 = 0 THEN 'suspended' ELSE 'in_payment' END,
       x.retired, extract(year FROM x.retired)::int * 100 + extract(month FROM x.retired)::int,
       x.retired, NULL, x.actual, x.deemed_months, x.years, x.z, x.z, 139.0, x.balance,
       7000.00, 7000.00, extract(year FROM x.retired)::int, false, x.basic, x.account,
       x.transitional, 0, x.basic + x.account + x.transitional, '{"bench": true}'::jsonb,
       '[]'::jsonb, NULL, now(), '{}'::jsonb, NULL, %(paid_through)s, NULL
  FROM parts x
"""


def _agency_of(region: Region, agencies: dict[str, int]) -> int | None:
    code: Region | None = region
    while code is not None:
        if code.code in agencies:
            return agencies[code.code]
        code = code.parent
    return None


def make_retirees(
    n: int,
    *,
    region_codes: list[str] | None = None,
    log: Callable[[str], object] = print,
) -> int:
    """Insert ``n`` synthetic retirees with one determination each (see the module
    docstring) in one transaction; returns how many were written. ``region_codes``:
    the counties to spread them over (default: every county of the default
    profile's province). Called again, it adds
    ``n`` more (the ID numbers continue)."""
    if n <= 0:
        return 0
    if region_codes is None:
        province = profile_for_region(None).province
        regions = list(
            Region.objects.filter(
                level=RegionLevel.COUNTY, code__startswith=province.scope_prefix
            ).select_related("parent__parent")
        )
    else:
        regions = list(
            Region.objects.filter(code__in=region_codes).select_related("parent__parent")
        )
    regions.sort(key=lambda r: r.code)
    if not regions:
        raise ValueError("make_retirees: no regions to put the retirees in")
    agencies = dict(
        Agency.objects.order_by("-pk").values_list("region_id", "pk")
    )  # one agency per region (the first when there are several)
    agency_ids = [_agency_of(region, agencies) for region in regions]
    if None in agency_ids:
        raise ValueError("make_retirees: a region has no agency above it")
    paid_through = Period.from_date(timezone.localdate()).prev()
    started = time.monotonic()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(max(substr(id_number, 3)::bigint), 0) FROM enrollment_insuredperson "
            "WHERE id_number LIKE %s",
            [ID_PREFIX + "%"],
        )
        offset = cursor.fetchone()[0]
        cursor.execute(
            _RETIREES_SQL,
            {
                "n": n,
                "offset": offset,
                "prefix": ID_PREFIX,
                "regions": [r.code for r in regions],
                "agencies": agency_ids,
                "n_regions": len(regions),
                "banks": BANKS,
                "n_banks": len(BANKS),
                "paid_through": paid_through.as_int,
            },
        )
        written = cursor.rowcount
    log(
        f"make_retirees: {written:,} retirees with determinations in {len(regions)} regions, "
        f"paid through {paid_through}, in {time.monotonic() - started:.1f} s"
    )
    return written
