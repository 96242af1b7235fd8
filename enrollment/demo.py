"""Demo step "enrollment": employers, insured people and employment of the demo province.

Deterministic (a fixed seed): the same plan always gives the same rows. Rows are built
as plain tuples from precomputed tables and streamed with ``COPY``
(``pension.bulk.copy_rows``), the next block being made in a thread while the server
inserts the last one; ids of employers and people are reserved from their sequences
in one statement each, so employments can point at them without reading anything
back. Foreign keys are checked once per key with an anti-join rather than row by row
at commit where the connection allows it (``_foreign_keys_checked_once``). The
province scale (300 000 employers, 4 000 000 people, 4.2 million employments) loads in
6–7 minutes on 2 quiet cores (docs/benchmarks.md).

What the rows look like:

- people spread over the province's counties, weighted by city population and, within
  a city, districts over counties (the capital's districts largest); owning agency =
  the nearest active agency up the region chain;
- 52 % men; women 20 % cadres; categories 80 % employee, 15 % flexible, 4 % individual
  business, 1 % part-time;
- working people aged 18 up to their statutory retirement age; retirees retired at
  their statutory age (with the 2025 delay, from the ``benefits.retirement_age``
  parameter) after 1993, so from 50, 55 or 60 up to the early nineties;
- first work at 18–25; first insured from 1992 on; deemed months for the months worked
  before the profile's ``accounts.start_month`` (or before first insured, when that was
  earlier), at most 600;
- citizen ID numbers valid under GB 11643 (the person's county, birth date, odd
  sequence for men, even for women) and unique; credit codes valid under GB 32100
  (the employer's county in positions 3–8, a GB 11714 organisation code in 9–17) and
  unique; social security card numbers unique; bank accounts pass the Luhn check;
- employment only for employees and part-time workers, as YYYYMM periods: contributing
  people have one current employment (and some an earlier, ended one), interrupted
  people an ended one, retirees theirs ended at the month after reaching retirement
  age; never overlapping; a current employment only with an active employer, every
  employment with an employer registered by then, older employers the larger.
"""

from __future__ import annotations

import calendar
import random
import sys
from array import array
from bisect import bisect_right
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from itertools import accumulate, islice
from typing import Any

from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone

from enrollment.choices import (
    EmployerKind,
    EmployerStatus,
    OccupationKind,
    PersonCategory,
    PersonStatus,
    RegistrationSource,
    Sex,
)
from enrollment.models import Employer, Employment, InsuredPerson
from pension import changelog
from pension.bulk import copy_rows
from pension.choices import RegionLevel
from pension.demo import DemoContext, register
from pension.models import Agency, ChangeAction, Region
from pension.selectors import policy_value

SEED = 20_260_101


@dataclass(frozen=True)
class Sizes:
    employers: int
    people: int
    retired: int


SIZES: dict[str, Sizes] = {
    "tiny": Sizes(employers=30, people=300, retired=30),
    "demo": Sizes(employers=3_000, people=40_000, retired=10_000),
    # DESIGN §3 plans for 10 M insured; the demo province is the 4 M, 1 M retired
    "province": Sizes(employers=300_000, people=4_000_000, retired=1_000_000),
}

# Population by city (millions, 2020 census, rounded): weights of the cities.
CITY_POPULATION: dict[str, float] = {
    # Shanxi
    "140100": 5.30, "140200": 3.11, "140300": 1.32, "140400": 3.18, "140500": 2.19,
    "140600": 1.59, "140700": 3.38, "140800": 4.78, "140900": 2.69, "141000": 3.98,
    "141100": 3.40,
    # Jilin
    "220100": 9.07, "220200": 3.62, "220300": 1.81, "220400": 1.00, "220500": 1.30,
    "220600": 0.95, "220700": 2.25, "220800": 1.55, "222400": 1.94,
}  # fmt: skip
# Enterprise employment gathers in the capital: its population counts this much more.
CAPITAL_FACTOR = 1.6
# Within a city: a district (区) weighs more than a county-level city (市), more than a county.
DISTRICT_WEIGHT, COUNTY_CITY_WEIGHT, COUNTY_WEIGHT = 3.0, 2.0, 1.0
AREA_CODES: dict[str, str] = {
    "140100": "0351", "140200": "0352", "140300": "0353", "140400": "0355",
    "140500": "0356", "140600": "0349", "140700": "0354", "140800": "0359",
    "140900": "0350", "141000": "0357", "141100": "0358",
    "220100": "0431", "220200": "0432", "220300": "0434", "220400": "0437",
    "220500": "0435", "220600": "0439", "220700": "0438", "220800": "0436",
    "222400": "0433",
}  # fmt: skip

# Surnames with rough relative frequencies; given-name characters by sex.
SURNAMES = (
    ("王", 72), ("李", 71), ("张", 68), ("刘", 54), ("陈", 45), ("杨", 33), ("赵", 20),
    ("黄", 22), ("周", 19), ("吴", 19), ("徐", 14), ("孙", 14), ("胡", 13), ("朱", 13),
    ("高", 13), ("林", 12), ("何", 12), ("郭", 16), ("马", 12), ("罗", 10), ("梁", 9),
    ("宋", 8), ("郑", 8), ("谢", 7), ("韩", 7), ("唐", 7), ("冯", 7), ("于", 6),
    ("董", 6), ("萧", 3), ("程", 6), ("曹", 6), ("袁", 5), ("邓", 5), ("许", 5),
    ("傅", 4), ("沈", 4), ("曾", 4), ("彭", 4), ("吕", 5), ("苏", 4), ("卢", 4),
    ("蒋", 4), ("蔡", 4), ("贾", 5), ("丁", 4), ("魏", 4), ("薛", 4), ("叶", 4),
    ("阎", 4), ("段", 3), ("武", 5), ("牛", 3), ("乔", 3), ("白", 3), ("田", 3),
)  # fmt: skip
GIVEN_MALE = tuple(
    "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆帅旭宁龙林阳建国峰志海东亮成文晓庆兵春生德忠义"
)
GIVEN_FEMALE = tuple(
    "芳娜敏静丽艳娟霞秀英玲燕婷洁琳雪慧莉萍红梅丹倩颖佳欣悦晶妍瑶露云蓉琴凤兰桂彩月春华淑"
)
ROADS = (
    "解放路", "迎泽大街", "建设路", "和平路", "五一路", "新华街", "人民路", "胜利街",
    "滨河东路", "学府街", "体育路", "朝阳街", "文化路", "青年路", "康乐街", "工农路",
    "府西街", "南环路", "北大街", "东风路",
)  # fmt: skip
BRANDS = (
    "鑫源", "华晋", "恒通", "宏达", "天宇", "金泰", "瑞丰", "永盛", "汇通", "博远", "中和",
    "昌隆", "盛世", "新华", "东方", "正大", "同心", "晋安", "德润", "启明", "兴业", "长城",
    "华信", "大成", "福瑞", "广源", "嘉禾", "康泰", "龙腾", "明泰",
)  # fmt: skip
INDUSTRIES = (
    "煤业", "焦化", "建筑工程", "商贸", "物流", "机械制造", "电力", "化工", "食品", "医药",
    "信息技术", "房地产开发", "物业服务", "餐饮管理", "农业科技", "汽车销售", "钢铁",
    "新材料", "环保科技", "文化传媒",
)  # fmt: skip
COMPANY_SUFFIXES = ("有限公司",) * 6 + ("有限责任公司",) * 3 + ("股份有限公司",)
SHOPS = ("便利店", "面馆", "五金店", "理发店", "服装店", "修理部", "超市", "饭店", "药店", "水果店")
INSTITUTIONS = (
    "市政工程设计院", "勘察设计研究院", "水利水电工程局", "出版社", "广播电视服务中心",
    "园林绿化管理中心", "建筑设计研究院", "地质勘查院",
)  # fmt: skip
ORGANISATIONS = ("商会", "行业协会", "职业培训学校", "民营医院", "养老服务中心", "幼儿园")
# Banks paying pensions and their debit-card BINs: accounts of 19 digits, Luhn-checked.
BANKS = (
    ("中国工商银行", "622202"),
    ("中国农业银行", "622848"),
    ("中国银行", "621661"),
    ("中国建设银行", "621700"),
    ("中国邮政储蓄银行", "621799"),
)
MOBILE_PREFIXES = (
    "30", "31", "32", "33", "35", "36", "37", "38", "39", "50", "51", "52",
    "55", "56", "57", "58", "59", "80", "82", "83", "86", "87", "88", "89",
)  # fmt: skip
STOP_REASONS = ("退休", "解除劳动合同", "本人辞职", "合同期满")  # 0: retirement

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_CC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)  # GB 11714 organisation code
_FIRST_DAY = date(1925, 1, 1)  # the oldest birth date the tables cover
_INSURED_FROM = date(1992, 1, 1)  # first insured dates start here
_DAYS_PER_YEAR = 365.2425

EMPLOYER_COLUMNS = [
    "id", "credit_code", "name", "kind", "address", "contact_person", "phone", "region_id",
    "agency_id", "status", "source", "registered_on", "last_message_id", "created_at",
    "updated_at",
]  # fmt: skip
PERSON_COLUMNS = [
    "id", "id_number", "name", "sex", "birth_date", "category", "occupation_kind",
    "first_work_date", "first_insured_date", "deemed_months", "card_number", "bank_name",
    "bank_account", "phone", "address", "status", "region_id", "agency_id", "created_at",
    "updated_at",
]  # fmt: skip
EMPLOYMENT_COLUMNS = [
    "person_id", "employer_id", "start_period", "stop_period", "stop_reason", "created_at",
    "updated_at",
]  # fmt: skip


@dataclass(frozen=True)
class County:
    code: str
    name: str
    city_code: str
    city_name: str
    weight: float
    agency_id: int


@dataclass(frozen=True)
class RetirementRule:
    """Statutory retirement age and its delay for later cohorts (DESIGN §4)."""

    base_age: int
    cohort_start: int | None  # month index (year × 12 + month − 1) of the first delayed cohort
    step_months: int
    cap_months: int

    def retirement_month(self, birth_month: int) -> int:
        """Month index in which the age is reached (the delay included)."""
        delay = 0
        if self.cohort_start is not None and self.step_months:
            m = birth_month - self.cohort_start
            if m >= 0:
                delay = min(self.cap_months, m // self.step_months + 1)
        return birth_month + self.base_age * 12 + delay


@dataclass(frozen=True)
class Plan:
    """Everything the rows depend on; two equal plans give equal rows."""

    sizes: Sizes
    province_name: str
    counties: tuple[County, ...]
    today: date
    account_start: int  # month index of the profile's accounts.start_month
    male: RetirementRule
    female_worker: RetirementRule
    female_cadre: RetirementRule
    stamp: str  # created_at / updated_at of every row
    seed: int = SEED


def _month_index(d: date) -> int:
    return d.year * 12 + d.month - 1


def _period(month_index: int) -> int:
    return (month_index // 12) * 100 + month_index % 12 + 1


def _parse_month(text: str) -> int:
    year, month = text.split("-")
    return int(year) * 12 + int(month) - 1


def _rule(value: dict[str, Any]) -> RetirementRule:
    start = value.get("cohort_start")
    return RetirementRule(
        base_age=int(value["base_age"]),
        cohort_start=_parse_month(start) if start else None,
        step_months=int(value.get("step_months") or 0),
        cap_months=int(value.get("cap_months") or 0),
    )


def _short(name: str) -> str:
    """太原市 → 太原, 小店区 → 小店, 朔州 → 朔州 (names of two characters stay)."""
    if len(name) > 2 and name[-1] in "市区县省":
        return name[:-1]
    return name


def plan_for(ctx: DemoContext) -> Plan:
    """Read what the rows depend on: counties with weights and agencies, the policy."""
    prefix = ctx.province_code[:2]
    regions = list(Region.objects.filter(code__startswith=prefix).order_by("code"))
    province = next(r for r in regions if r.level == RegionLevel.PROVINCE)
    cities = {r.code: r for r in regions if r.level == RegionLevel.CITY}
    capital = min(cities)
    agencies: dict[str, int] = {}
    for region_id, agency_id in (
        Agency.objects.filter(region__code__startswith=prefix, is_active=True)
        .order_by("code")
        .values_list("region_id", "id")
    ):
        agencies.setdefault(region_id, agency_id)
    counties = [r for r in regions if r.level == RegionLevel.COUNTY]

    def local_weight(region: Region) -> float:
        if region.name.endswith("区"):
            return DISTRICT_WEIGHT
        if region.name.endswith("市"):
            return COUNTY_CITY_WEIGHT
        return COUNTY_WEIGHT

    city_total: dict[str, float] = {}
    for r in counties:
        city_total[r.parent_id] = city_total.get(r.parent_id, 0.0) + local_weight(r)
    rows = []
    for r in counties:
        population = CITY_POPULATION.get(r.parent_id, 1.0)
        if r.parent_id == capital:
            population *= CAPITAL_FACTOR
        agency = agencies.get(r.code) or agencies.get(r.parent_id) or agencies[province.code]
        rows.append(
            County(
                code=r.code,
                name=r.name,
                city_code=r.parent_id,
                city_name=cities[r.parent_id].name,
                weight=population * local_weight(r) / city_total[r.parent_id],
                agency_id=agency,
            )
        )
    start = policy_value("accounts.start_month", on=ctx.today, region=province).value
    ages = policy_value("benefits.retirement_age", on=ctx.today, region=province).value
    return Plan(
        sizes=SIZES[ctx.scale],
        province_name=province.name,
        counties=tuple(rows),
        today=ctx.today,
        account_start=_parse_month(str(start)),
        male=_rule(ages["male"]),
        female_worker=_rule(ages["female_worker"]),
        female_cadre=_rule(ages["female_cadre"]),
        stamp=timezone.now().isoformat(),
    )


def _credit_code_check(first17: str) -> str:
    total = sum(_CC_CHARSET.index(c) * w for c, w in zip(first17, _CC_WEIGHTS, strict=True))
    return _CC_CHARSET[(31 - total % 31) % 31]


def _org_code_check(body: str) -> str:
    value = 11 - sum(int(c) * w for c, w in zip(body, _ORG_WEIGHTS, strict=True)) % 11
    return {10: "X", 11: "0"}.get(value, str(value))


def _luhn_sum(digits: str) -> int:
    """Luhn sum of an even-length run of digits that sits at an even offset of an
    even-length payload: its 2nd, 4th, ... digits are doubled."""
    total = 0
    for position, ch in enumerate(digits):
        v = int(ch)
        if position % 2:
            v = v * 2 - 9 if v > 4 else v * 2
        total += v
    return total


# Luhn sums of the 4-digit chunks 0000-9999 (2nd and 4th digits doubled)
_LUHN_DOUBLED = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)
_LUHN_4 = [
    a + _LUHN_DOUBLED[b] + c + _LUHN_DOUBLED[d]
    for a in range(10)
    for b in range(10)
    for c in range(10)
    for d in range(10)
]
# citizen ID sequence codes 000-999 and their share of the check sum
_SEQ_TEXT = [f"{s:03d}" for s in range(1000)]
_SEQ_SUM = [
    sum(int(ch) * w for ch, w in zip(t, _ID_WEIGHTS[14:17], strict=True)) for t in _SEQ_TEXT
]


@lru_cache(maxsize=2)
def _day_table(
    first: date, last: date
) -> tuple[list[str], list[str], list[int], list[int], dict[int, int]]:
    """For each day from ``first`` to ``last`` (by index): ISO text, YYYYMMDD, month index
    and the birth date's share of the citizen ID check sum; and the index of each
    month's first day. Built once per process (the tests load the tiny demo often)."""
    w_year, w_month_day = _ID_WEIGHTS[6:10], _ID_WEIGHTS[10:14]
    iso: list[str] = []
    ymd: list[str] = []
    month_of: list[int] = []
    date_sum: list[int] = []
    month_first_day: dict[int, int] = {}
    for year in range(first.year, last.year + 1):
        y = f"{year:04d}"
        y_sum = sum(int(ch) * w for ch, w in zip(y, w_year, strict=True))
        for month in range(1, 13):
            m = f"{month:02d}"
            mi = year * 12 + month - 1
            for day in range(1, calendar.monthrange(year, month)[1] + 1):
                if (year, month, day) < (first.year, first.month, first.day):
                    continue
                if (year, month, day) > (last.year, last.month, last.day):
                    break
                dd = f"{day:02d}"
                md = m + dd
                month_first_day.setdefault(mi, len(iso))
                iso.append(f"{y}-{m}-{dd}")
                ymd.append(y + md)
                month_of.append(mi)
                date_sum.append(
                    y_sum + sum(int(ch) * w for ch, w in zip(md, w_month_day, strict=True))
                )
    return iso, ymd, month_of, date_sum, month_first_day


_SURNAMES = tuple(s for s, _ in SURNAMES)
_SURNAME_CUM = tuple(accumulate(w for _, w in SURNAMES))


class DemoRows:
    """The rows of one plan. ``employers()`` and ``people()`` are built first (in that
    order); ``employments()`` yields the employment that ``people()`` decided."""

    def __init__(self, plan: Plan, *, employer_id0: int = 1, person_id0: int = 1) -> None:
        self.plan = plan
        self.employer_id0 = employer_id0
        self.person_id0 = person_id0
        self.rng = random.Random(plan.seed)
        self._employers_done = False
        self._people_done = False
        # per county: employer indexes by registration, their registration months,
        # the same for active employers (a current employment is with an active one)
        self._pool: list[tuple[list[int], list[int], list[int], list[int]]] = []
        # employments decided by people(): person index, employer index, periods, reason
        self.emp_person = array("i")
        self.emp_employer = array("i")
        self.emp_start = array("i")
        self.emp_stop = array("i")  # 0: current
        self.emp_reason = array("b")
        self.retired_count = 0

    # --- employers ----------------------------------------------------------------

    def employers(self) -> Iterator[tuple]:
        """Yield the employer rows; at the end, group employers for people() to use."""
        plan, rng = self.plan, self.rng
        r = rng.random
        counties = plan.counties
        n = plan.sizes.employers
        # grouped by county: index inserts stay local (ids, codes and numbers by county)
        where = sorted(rng.choices(range(len(counties)), weights=[c.weight for c in counties], k=n))
        today_ord = plan.today.toordinal()
        start_ord = _INSURED_FROM.toordinal()
        span = today_ord - start_ord - 30
        province_short = _short(plan.province_name)
        registered: list[tuple[int, int, bool]] = []  # (county, month index, active)
        seen: set[int] = set()
        for i, c in enumerate(where):
            county = counties[c]
            first_of_county = c not in seen
            seen.add(c)
            u = r()
            if u < 0.85:
                kind, head = EmployerKind.ENTERPRISE, "91"
            elif u < 0.95:
                kind, head = EmployerKind.INDIVIDUAL_BUSINESS, "92"
            elif u < 0.98:
                kind, head = EmployerKind.PUBLIC_INSTITUTION, "12"
            else:
                kind, head = EmployerKind.OTHER, "52"
            # the first employer of a county is registered when insurance starts, so that
            # every employment finds an employer registered by then
            reg_ord = start_ord if first_of_county else start_ord + int(span * r() ** 1.3)
            reg = date.fromordinal(reg_ord)
            active = first_of_county or r() < 0.98
            body = f"{(i * 38_749_617 + 10_000_019) % 100_000_000:08d}"
            first17 = head + county.code + body + _org_code_check(body)
            code = first17 + _credit_code_check(first17)
            brand = BRANDS[int(r() * len(BRANDS))]
            if kind == EmployerKind.ENTERPRISE:
                place = (province_short, _short(county.city_name), _short(county.name))[
                    int(r() * 3)
                ]
                name = (
                    f"{place}{brand}{INDUSTRIES[int(r() * len(INDUSTRIES))]}"
                    f"{COMPANY_SUFFIXES[int(r() * len(COMPANY_SUFFIXES))]}"
                )
            elif kind == EmployerKind.INDIVIDUAL_BUSINESS:
                name = f"{_short(county.name)}{brand}{SHOPS[int(r() * len(SHOPS))]}"
            elif kind == EmployerKind.PUBLIC_INSTITUTION:
                name = f"{county.city_name}{INSTITUTIONS[int(r() * len(INSTITUTIONS))]}"
            else:
                name = f"{_short(county.name)}{brand}{ORGANISATIONS[int(r() * len(ORGANISATIONS))]}"
            road = ROADS[int(r() * len(ROADS))]
            address = f"{county.city_name}{county.name}{road}{1 + int(r() * 300)}号"
            contact = self._name(r() < 0.5)
            area = AREA_CODES.get(county.city_code, "0000")
            phone = f"{area}-{2 + int(r() * 7)}{int(r() * 1_000_000):06d}"
            u = r()
            source = (
                RegistrationSource.MARKET_REGULATION
                if u < 0.55
                else RegistrationSource.HALL
                if u < 0.95
                else RegistrationSource.IMPORT
            )
            yield (
                self.employer_id0 + i,
                code,
                name,
                kind,
                address,
                contact,
                phone,
                county.code,
                county.agency_id,
                EmployerStatus.ACTIVE if active else EmployerStatus.SUSPENDED,
                source,
                reg.isoformat(),
                "",
                plan.stamp,
                plan.stamp,
            )
            registered.append((c, _month_index(reg), active))
        self._build_pools(registered)
        self._employers_done = True

    def _build_pools(self, registered: list[tuple[int, int, bool]]) -> None:
        """Where each county's people find employers: the county's own when it has at
        least three, else its city's, else the province's."""
        counties = self.plan.counties
        by_county: list[list[int]] = [[] for _ in counties]
        by_city: dict[str, list[int]] = {}
        everyone: list[int] = []
        for i, (c, _month, _active) in enumerate(registered):
            by_county[c].append(i)
            by_city.setdefault(counties[c].city_code, []).append(i)
            everyone.append(i)

        def pool(indexes: list[int]) -> tuple[list[int], list[int], list[int], list[int]]:
            ordered = sorted(indexes, key=lambda i: (registered[i][1], i))
            active = [i for i in ordered if registered[i][2]]
            return (
                ordered,
                [registered[i][1] for i in ordered],
                active,
                [registered[i][1] for i in active],
            )

        cache: dict[str, tuple[list[int], list[int], list[int], list[int]]] = {}
        for c, county in enumerate(counties):
            if len(by_county[c]) >= 3:
                self._pool.append(pool(by_county[c]))
                continue
            key = county.city_code if len(by_city.get(county.city_code, [])) >= 3 else ""
            if key not in cache:
                cache[key] = pool(by_city[key] if key else everyone)
            self._pool.append(cache[key])

    # --- people ---------------------------------------------------------------------

    def _name(self, male: bool) -> str:
        r = self.rng.random
        given = GIVEN_MALE if male else GIVEN_FEMALE
        surname = _SURNAMES[bisect_right(_SURNAME_CUM, r() * _SURNAME_CUM[-1])]
        if r() < 0.35:
            return surname + given[int(r() * len(given))]
        return surname + given[int(r() * len(given))] + given[int(r() * len(given))]

    def people(self) -> Iterator[tuple]:
        """Yield the person rows; decide each person's employment on the way."""
        if not self._employers_done:
            raise RuntimeError("employers() first")
        plan, rng = self.plan, self.rng
        r = rng.random
        counties = plan.counties
        n, n_retired = plan.sizes.people, plan.sizes.retired
        today = plan.today
        today_ord = today.toordinal()
        cur_m = _month_index(today)

        day0 = _FIRST_DAY.toordinal()
        n_days = today_ord - day0 + 1
        iso, ymd, month_of, date_sum, month_first_day = _day_table(_FIRST_DAY, today)
        seq_text, seq_sum = _SEQ_TEXT, _SEQ_SUM
        county_sum = [
            sum(int(ch) * w for ch, w in zip(c.code, _ID_WEIGHTS[:6], strict=True))
            for c in counties
        ]
        county_code = [c.code for c in counties]
        county_agency = [c.agency_id for c in counties]
        county_place = [f"{c.city_name}{c.name}" for c in counties]
        # sequence numbers used per (county, birth day, sex): at most 255 of the 500
        used = bytearray(len(counties) * n_days * 2)
        luhn = _LUHN_4
        banks = [(name, bin_, _luhn_sum(bin_)) for name, bin_ in BANKS]

        insured_from = _INSURED_FROM.toordinal() - day0
        account_start = plan.account_start
        account_start_day = month_first_day.get(account_start, insured_from)
        today_k = n_days - 1
        max_years_retired = today.year - 1994  # retired after 1993, insured a year before
        rules = (plan.male, plan.female_worker, plan.female_cadre)

        retired_flags = bytearray(n)
        for i in rng.sample(range(n), n_retired):
            retired_flags[i] = 1
        # grouped by county: index inserts stay local (ids, codes and numbers by county)
        where = sorted(rng.choices(range(len(counties)), weights=[c.weight for c in counties], k=n))

        pool = self._pool
        emp_person, emp_employer = self.emp_person, self.emp_employer
        emp_start, emp_stop, emp_reason = self.emp_start, self.emp_stop, self.emp_reason
        stamp = plan.stamp
        card_letter = "A"
        name_of = self._name
        period = _period
        employee, part_time = PersonCategory.EMPLOYEE.value, PersonCategory.PART_TIME.value
        flexible, business = PersonCategory.FLEXIBLE.value, PersonCategory.INDIVIDUAL_BUSINESS.value
        contributing = PersonStatus.CONTRIBUTING.value
        interrupted = PersonStatus.INTERRUPTED.value
        retired_status = PersonStatus.RETIRED.value
        worker, cadre = OccupationKind.WORKER.value, OccupationKind.CADRE.value
        male_code, female_code = Sex.MALE.value, Sex.FEMALE.value

        def employer_for(c: int, start: int, current: bool) -> int:
            ordered, months, active, active_months = pool[c]
            if current:
                ordered, months = active, active_months
            k = bisect_right(months, start) or 1
            return ordered[int(k * r() ** 2.5)]

        def add(person: int, c: int, start: int, stop: int, reason: int) -> None:
            emp_person.append(person)
            emp_employer.append(employer_for(c, start, stop == 0))
            emp_start.append(period(start))
            emp_stop.append(period(stop) if stop else 0)
            emp_reason.append(reason)

        for i in range(n):
            c = where[i]
            male = r() < 0.52
            if male:
                rule, kind = rules[0], worker
            elif r() < 0.2:
                rule, kind = rules[2], cadre
            else:
                rule, kind = rules[1], worker
            u = r()
            category = (
                employee
                if u < 0.80
                else flexible
                if u < 0.95
                else business
                if u < 0.99
                else part_time
            )
            retired = retired_flags[i]
            if retired:
                years = rule.base_age + 1 + (max_years_retired - 1) * r() ** 1.6
                birth = today_k - int(years * _DAYS_PER_YEAR)
                # the month after the age is reached: first month not contributed
                stop_m = rule.retirement_month(month_of[birth]) + 1
                while stop_m > cur_m:
                    birth -= 62
                    stop_m = rule.retirement_month(month_of[birth]) + 1
                age = (today_k - birth) / _DAYS_PER_YEAR
            else:
                age = 18 + (rule.base_age - 18) * r()
                birth = today_k - int(age * _DAYS_PER_YEAR) - 1
                stop_m = 0
            # first work at 18-25, never after today
            work_age = 18 + 7 * r()
            if work_age > age:
                work_age = 18 + (age - 18) * r()
            first_work = min(birth + int(work_age * _DAYS_PER_YEAR) + 1, today_k)
            lo = max(first_work, insured_from)
            hi = month_first_day[stop_m - 12] if retired else today_k
            if first_work < account_start_day:
                if lo < account_start_day and r() < 0.6:
                    insured = lo + int((account_start_day - lo) * r())
                else:
                    insured = account_start_day + int(r() ** 2 * 15 * _DAYS_PER_YEAR)
            else:
                insured = first_work + int(r() ** 3 * 5 * _DAYS_PER_YEAR)
            insured = max(lo, min(insured, hi))
            insured_m = month_of[insured]
            deemed = min(account_start, insured_m) - month_of[first_work]
            deemed = 0 if deemed < 0 else min(deemed, 600)

            # citizen ID number
            sexbit = 1 if male else 0
            key = ((c * n_days + birth) << 1) | sexbit
            count = used[key]
            if count >= 250:
                raise RuntimeError("too many people born on one day in one county")
            used[key] = count + 1
            seq = (((key * 37) % 500) * 2 + sexbit + 2 * count) % 1000
            total = county_sum[c] + date_sum[birth] + seq_sum[seq]
            id_number = county_code[c] + ymd[birth] + seq_text[seq] + _ID_CHECK[total % 11]

            # status and employment
            person = i
            employed = category in (employee, part_time)
            if retired:
                status = retired_status
                if employed:
                    span = stop_m - insured_m
                    if r() < 0.4:
                        b = insured_m + 1 + int((span - 1) * r())
                        add(person, c, insured_m, b, 1 + int(r() * 3))
                        add(person, c, min(b + int(7 * r()), stop_m - 1), stop_m, 0)
                    else:
                        add(person, c, insured_m, stop_m, 0)
            else:
                span = cur_m - insured_m
                if span < 1 or r() < (0.85 if employed else 0.88):
                    status = contributing
                    if employed:
                        if span >= 2 and r() < 0.35:
                            b = insured_m + 1 + int((span - 1) * r())
                            add(person, c, insured_m, b, 1 + int(r() * 3))
                            add(person, c, min(b + int(7 * r()), cur_m), 0, 0)
                        else:
                            add(person, c, insured_m + int((span + 1) * r()), 0, 0)
                else:
                    status = interrupted
                    if employed:
                        s = insured_m + int(span * r())
                        add(person, c, s, s + 1 + int((cur_m - s) * r()), 1 + int(r() * 3))

            # card and bank: the card doubles as the account pensions are paid into
            if r() < (0.98 if retired else 0.9):
                # increasing with i (people come by county), so unique
                card = f"{card_letter}{10_000_000 + i * 22 + int(r() * 22):08d}"
                if r() < (0.97 if retired else 0.6):
                    bank, bin_, bin_sum = banks[int(r() * 5)]
                    a, b2, c2 = int(r() * 10_000), int(r() * 10_000), int(r() * 10_000)
                    check = (10 - (bin_sum + luhn[a] + luhn[b2] + luhn[c2]) % 10) % 10
                    account = f"{bin_}{a:04d}{b2:04d}{c2:04d}{check}"
                else:
                    bank = account = ""
            else:
                card = bank = account = ""
            phone = f"1{MOBILE_PREFIXES[int(r() * 24)]}{int(r() * 100_000_000):08d}"
            address = (
                f"{county_place[c]}{ROADS[int(r() * 20)]}{1 + int(r() * 300)}号"
                f"{1 + int(r() * 20)}栋{1 + int(r() * 6)}单元"
                f"{101 + int(r() * 18) * 100 + int(r() * 4)}"
            )
            self.retired_count += retired
            yield (
                self.person_id0 + i,
                id_number,
                name_of(male),
                male_code if male else female_code,
                iso[birth],
                category,
                kind,
                iso[first_work],
                iso[insured],
                deemed,
                card,
                bank,
                account,
                phone,
                address,
                status,
                county_code[c],
                county_agency[c],
                stamp,
                stamp,
            )
        self._people_done = True

    # --- employment -------------------------------------------------------------------

    def employments(self) -> Iterator[tuple]:
        if not self._people_done:
            raise RuntimeError("people() first")
        stamp = self.plan.stamp
        p0, e0 = self.person_id0, self.employer_id0
        for person, employer, start, stop, reason in zip(
            self.emp_person,
            self.emp_employer,
            self.emp_start,
            self.emp_stop,
            self.emp_reason,
            strict=True,
        ):
            yield (
                p0 + person,
                e0 + employer,
                start,
                stop or None,
                STOP_REASONS[reason] if stop else "",
                stamp,
                stamp,
            )


# ``copy_rows`` sends its rows to the server every this many rows (its default chunk)
_COPY_CHUNK = 50_000


def _prefetched(rows: Iterator[tuple], *, block: int = _COPY_CHUNK) -> Iterator[tuple]:
    """``rows``, made one block ahead while ``copy_rows`` waits for the server.

    ``copy_rows`` builds its CSV in this thread, then sends a chunk and waits while the
    server inserts it (the GIL released). A worker thread makes the next block of rows
    during exactly that wait: it is asked for it just before the last row of a block is
    handed over, and the block is collected when the next row is wanted, so the two
    never compete for the interpreter while the CSV is being built. The rows and their
    order are those of ``rows``: one thread at a time advances it.
    """
    source = iter(rows)

    def take() -> list[tuple]:
        return list(islice(source, block))

    interval = sys.getswitchinterval()
    # while the worker runs, the waiting thread must get the GIL back quickly each
    # time the driver reads the next 8 kB of the chunk (default: after 5 ms)
    sys.setswitchinterval(0.0001)
    try:
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="demo-rows") as pool:
            current = take()
            while current:
                last = len(current) - 1
                for k in range(last):
                    yield current[k]
                following = pool.submit(take)
                yield current[last]
                current = following.result()
    finally:
        sys.setswitchinterval(interval)


def _reserve_ids(model: type, count: int) -> int:
    """Take ``count`` ids from the model's sequence in one statement; the first one."""
    if count == 0:
        return 1
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(seq::regclass, nextval(seq::regclass) + %s - 1) "
            "FROM pg_get_serial_sequence(%s, 'id') AS seq",
            [count, table],
        )
        last = cursor.fetchone()[0]
    return last - count + 1


def _foreign_keys(model: type) -> list[tuple[str, str, str, str]]:
    """(table, column, referenced table, referenced column) of each foreign key."""
    return [
        (
            model._meta.db_table,
            field.column,
            field.related_model._meta.db_table,
            field.target_field.column,
        )
        for field in model._meta.concrete_fields
        if field.is_relation
    ]


@contextmanager
def _foreign_keys_checked_once(models: tuple[type, ...]) -> Iterator[bool]:
    """COPY without per-row foreign-key checks, then check each key with one query.

    Django's foreign keys are deferred: checked row by row at COMMIT, some 17 million
    lookups at province scale (over a minute). When the tables have no triggers of
    their own and the connection may set ``session_replication_role`` (a superuser:
    the embedded server of dev and tests), the COPYs run in replica mode, which fires
    no trigger, and afterwards every foreign key of the tables is checked for all rows
    with one anti-join; a dangling key raises and the load rolls back. Unique, check
    and exclusion constraints are enforced as always. Otherwise rows are checked as
    usual. Yields whether the fast path is taken.
    """
    tables = [m._meta.db_table for m in models]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_trigger WHERE tgrelid = ANY(%s::regclass[]) "
            "AND NOT tgisinternal",
            [tables],
        )
        own_triggers = cursor.fetchone()[0]
    fast = False
    if not own_triggers:
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SET LOCAL session_replication_role = replica")
            fast = True
        except DatabaseError:  # not a superuser: keep the per-row checks
            fast = False
    # when the body raises, the load's transaction rolls back (replica mode with it)
    # and nothing below runs
    yield fast
    if fast:
        with connection.cursor() as cursor:
            cursor.execute("RESET session_replication_role")
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL work_mem = '256MB'")  # hash anti-joins in memory
            for model in models:
                for table, column, target, target_column in _foreign_keys(model):
                    cursor.execute(
                        f"SELECT count(*) FROM {quote(table)} c WHERE c.{quote(column)} "
                        f"IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {quote(target)} t "
                        f"WHERE t.{quote(target_column)} = c.{quote(column)})"
                    )
                    dangling = cursor.fetchone()[0]
                    if dangling:
                        raise IntegrityError(
                            f"{dangling} rows of {table}.{column} point to no {target} row"
                        )
            cursor.execute("RESET work_mem")


def load(ctx: DemoContext) -> None:
    """The demo step: employers, people and employment with COPY, one change-log entry."""
    if InsuredPerson.objects.filter(region__code__startswith=ctx.province_code[:2]).exists():
        ctx.log("demo: insured people already loaded")
        return
    plan = plan_for(ctx)
    rows = DemoRows(
        plan,
        employer_id0=_reserve_ids(Employer, plan.sizes.employers),
        person_id0=_reserve_ids(InsuredPerson, plan.sizes.people),
    )
    with _foreign_keys_checked_once((Employer, InsuredPerson, Employment)):
        n_employers = copy_rows(
            Employer._meta.db_table, EMPLOYER_COLUMNS, _prefetched(rows.employers())
        )
        ctx.log(f"demo: {n_employers} employers")
        n_people = copy_rows(
            InsuredPerson._meta.db_table, PERSON_COLUMNS, _prefetched(rows.people())
        )
        ctx.log(f"demo: {n_people} insured people ({rows.retired_count} retired)")
        n_employments = copy_rows(Employment._meta.db_table, EMPLOYMENT_COLUMNS, rows.employments())
        ctx.log(f"demo: {n_employments} employments")
    changelog.record(
        actor=None,
        action=ChangeAction.CREATE,
        object_type="enrollment.demo",
        object_id=ctx.scale,
        reason=f"demo data: {n_employers} employers, {n_people} people",
    )


register("enrollment", load)
