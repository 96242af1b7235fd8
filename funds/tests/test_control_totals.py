"""Control totals through the chain (DESIGN §5.5): each line's figures worked out by
hand on the month-end close's world (funds/tests/test_close.py), green where the money
closes, red where it does not (the month's personal accounts not yet credited)."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from django.urls import reverse

from funds import close
from funds.control_totals import control_totals, region_prefix_for
from funds.tests import test_close

pytestmark = pytest.mark.django_db
world = test_close.world  # the month-end close's world (a fixture)


def _by_key(checks):
    return {c.key: c for c in checks}


def test_the_chain_of_2025_03_and_2026_11(staff, world):
    """2025-03: the Taiyuan employer's bill of 10 000.00 paid in full on 2025-04-10:
    assessed 10 000.00 = paid 10 000.00 + outstanding 0.00 (green); its lines' personal
    shares 1 600.00 + 1 733.33 = 3 333.33 paid, nothing credited (no crediting run):
    red by 3 333.33.

    2026-11 in the caseworker's county: 甲 3 200.00 and 乙 1 200.40 + 775.00 + …
    = 2 875.40: lines 6 075.40 = payments 6 075.40; paid 3 200.00 + failed 2 875.40;
    the bank file's control total 6 075.40 = results 3 200.00 + 2 875.40."""
    checks = _by_key(control_totals(period=202503, region_prefix="14"))
    a = checks["assessment"]
    assert (a.left, a.right, a.ok) == (D("10000.00"), D("10000.00"), True)
    assert [amount for _label, amount in a.parts] == [D("10000.00"), D("0.00")]
    c = checks["crediting"]
    assert (c.left, c.right, c.difference, c.ok) == (D("3333.33"), D("0.00"), D("3333.33"), False)

    county = world["payroll_county"].code
    checks = _by_key(control_totals(period=202611, region_prefix=county))
    p = checks["payroll"]
    assert (p.left, p.right, p.ok) == (D("6075.40"), D("6075.40"), True)
    r = checks["payments"]
    assert [amount for _label, amount in r.parts] == [D("3200.00"), D("2875.40"), D("0.00")]
    assert r.ok and r.left == D("6075.40")
    # the run is the county's own: its bank file and the bank's results
    f, b = checks["bank_files"], checks["bank_results"]
    assert (f.left, f.right, f.ok) == (D("6075.40"), D("6075.40"), True)
    assert [amount for _label, amount in b.parts] == [D("3200.00"), D("2875.40"), D("0.00")]
    assert b.ok


def test_the_ledger_against_its_sources(staff, world):
    """Before the close of 2026-12 the ledger holds nothing: revenue 0.00 against
    6 666.67 + 3 333.33 + 389.20 = 10 389.20 paid by 2026-12-31 (red); after it, both
    10 389.20 (green), and the expenditure 3 200.00 = the payment paid out."""
    checks = _by_key(control_totals(period=202612, region_prefix="14"))
    assert (checks["revenue"].left, checks["revenue"].right) == (D("0.00"), D("10389.20"))
    assert not checks["revenue"].ok
    close.close_run(actor=staff["province_accountant"], period=202612)
    checks = _by_key(control_totals(period=202612, region_prefix="14"))
    rev, exp = checks["revenue"], checks["expenditure"]
    assert [amount for _label, amount in rev.parts] == [D("10000.00"), D("389.20")]
    assert (rev.left, rev.ok) == (D("10389.20"), True)
    assert (exp.left, exp.right, exp.ok) == (D("3200.00"), D("3200.00"), True)


def test_the_page_green_and_red_in_the_users_region(client, staff, world):
    county = world["payroll_county"].code
    assert region_prefix_for(staff["county_accountant"], "14") == county  # not above its own
    assert region_prefix_for(staff["province_accountant"], county) == county
    client.force_login(staff["county_accountant"])
    page = client.get(reverse("funds:control_totals"), {"period": "2026-11"}).content.decode()
    assert 'data-check="payroll" class="check-ok"' in page
    assert page.count("6,075.40") >= 2 and "相符" in page
    client.force_login(staff["province_accountant"])
    page = client.get(reverse("funds:control_totals"), {"period": "2025-03"}).content.decode()
    assert 'data-check="crediting" class="check-bad"' in page
    assert "3,333.33" in page and "不符" in page
