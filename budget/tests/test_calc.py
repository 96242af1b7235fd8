"""The budget's arithmetic by hand: gap-sharing, the execution alert, the weighted
score, the draft and the projection (DESIGN §5.6)."""

from decimal import Decimal as D

from budget import calc

# Jilin's rule: 80 % pooled surplus, 20 % governments; the governments' share split
# province 50 %, city 25 %, county 25 % (the shipped working value); a region that
# missed its collection target carries its own gap (Liupanshui rule)
RULES = calc.GapRules.from_value(
    {
        "pooled_surplus": "0.80",
        "government": "0.20",
        "government_split": {"province": "0.50", "city": "0.25", "county": "0.25"},
        "own_gap_if_target_missed": True,
    }
)


def test_gap_sharing_three_cities_one_missing_its_target():
    shares, total = calc.share_gaps(
        [
            # A: gap 1 500 000.00 − 1 000 000.00 = 500 000.00, target met
            calc.RegionYear("220100", D("1000000.00"), D("1500000.00"), True),
            # B: revenue above expenditure: no gap
            calc.RegionYear("220200", D("2000000.00"), D("1800000.00"), True),
            # C: gap 1 100 000.00 − 800 000.00 = 300 000.00, target missed
            calc.RegionYear("220300", D("800000.00"), D("1100000.00"), False),
        ],
        RULES,
    )
    a, b, c = shares
    # A: pooled 500 000 × 0.80 = 400 000; governments 100 000: province 50 000,
    # city 25 000, county 25 000
    assert (a.gap, a.pooled_fund, a.province, a.city, a.county) == (
        D("500000.00"), D("400000.00"), D("50000.00"), D("25000.00"), D("25000.00"),
    )  # fmt: skip
    assert not a.carries_own
    assert (b.gap, b.pooled_fund, b.government) == (D("0"), D("0"), D("0"))
    # C carries its own 300 000: city and county in the ratio 0.25 : 0.25 → 150 000 each;
    # nothing from the pooled fund or the province
    assert c.carries_own
    assert (c.gap, c.pooled_fund, c.province, c.city, c.county) == (
        D("300000.00"), D("0"), D("0"), D("150000.00"), D("150000.00"),
    )  # fmt: skip
    # total: gap 800 000; pooled 400 000; province 50 000; city 175 000; county 175 000
    assert (total.gap, total.pooled_fund, total.province, total.city, total.county) == (
        D("800000.00"), D("400000.00"), D("50000.00"), D("175000.00"), D("175000.00"),
    )  # fmt: skip


def test_gap_sharing_without_the_rule_shares_the_missed_target_too():
    rules = calc.GapRules(D("0.80"), D("0.20"), D("0.50"), D("0.25"), D("0.25"), False)
    (c,), _total = calc.share_gaps(
        [calc.RegionYear("220300", D("0"), D("300000.00"), False)], rules
    )
    # 300 000 × 0.8 = 240 000 pooled; 60 000: 30 000 / 15 000 / 15 000
    assert (c.pooled_fund, c.province, c.city, c.county) == (
        D("240000.00"), D("30000.00"), D("15000.00"), D("15000.00"),
    )  # fmt: skip


def test_gap_shares_add_up_to_the_fen():
    (share,), _ = calc.share_gaps([calc.RegionYear("220100", D("0"), D("0.07"), True)], RULES)
    # 0.07 × 0.8 = 0.056 → 0.06 pooled; 0.01 governments: province 0.005 → 0.01,
    # city 0.0025 → 0.00, county the remainder 0.00
    assert (share.pooled_fund, share.province, share.city, share.county) == (
        D("0.06"), D("0.01"), D("0.00"), D("0.00"),
    )  # fmt: skip
    assert share.pooled_fund + share.government == D("0.07")


def test_execution_alert_fires_at_the_threshold_and_not_below():
    # 6 months elapsed: 0.5 of the year. Budget 1 200.00; threshold 0.10
    share, elapsed, alert = calc.execution_alert(
        actual=D("480.00"), budget=D("1200.00"), elapsed_months=6, threshold=D("0.10")
    )
    # 480 / 1200 = 0.40: 0.10 below the elapsed 0.50 → alert (at the threshold)
    assert (share, elapsed, alert) == (D("0.4000"), D("0.5000"), True)
    share, _, alert = calc.execution_alert(
        actual=D("480.12"), budget=D("1200.00"), elapsed_months=6, threshold=D("0.10")
    )
    # 480.12 / 1200 = 0.4001: 0.0999 below → no alert
    assert (share, alert) == (D("0.4001"), False)
    # above: 720 / 1200 = 0.60, 0.10 above → alert
    assert calc.execution_alert(
        actual=D("720.00"), budget=D("1200.00"), elapsed_months=6, threshold=D("0.10")
    )[2]


def test_weighted_score_over_the_available_indicators():
    weights = {"a": D("0.25"), "b": D("0.15"), "c": D("0.60")}
    # a 0.80, b not available, c 1.20 counted as 1: (0.25 × 0.8 + 0.6 × 1) / 0.85 × 100
    # = 0.8 / 0.85 × 100 = 94.1176… → 94.12
    assert calc.weighted_score({"a": D("0.80"), "b": None, "c": D("1.20")}, weights) == D("94.12")
    assert calc.weighted_score({"a": None}, weights) is None


def test_draft_of_a_city():
    forecast = calc.Forecast(
        insured_growth=D("0.02"), contributor_growth=D("0.03"), wage_growth=D("0.05"),
        collection_rate=D("0.95"), adjustment_rate=D("0.02"),
    )  # fmt: skip
    base = calc.CityBase("220100", D("1000000.00"), 10, D("3000.00"), 2)
    amounts = calc.draft_city(base, forecast)
    # 1 000 000 × 1.03 × 1.05 × 0.95 = 1 027 425.00
    assert amounts["contribution_income"] == D("1027425.00")
    # (10 × 12 + 2 × 6) × 3 000 × 1.02 = 132 × 3 060 = 403 920.00
    assert amounts["pension_expenditure"] == D("403920.00")


def test_projection_of_the_pooled_fund():
    forecast = calc.Forecast(D("0"), D("0.10"), D("0"), D("1"), D("0"))
    years = calc.project(
        year=2027, income=D("1000.00"), expenditure=D("1200.00"), opening_balance=D("2400.00"),
        contribution_share=D("1"), forecast=forecast, retiree_growth=D("0"), years=2,
    )  # fmt: skip
    # 2027: 2 400 + 1 000 − 1 200 = 2 200; reserve 2 200 / (1 200 / 12) = 22.0 months
    # 2028: income 1 000 × 1.1 = 1 100; 2 200 + 1 100 − 1 200 = 2 100 → 21.0 months
    assert [(y.year, y.income, y.balance, y.reserve_months) for y in years] == [
        (2027, D("1000.00"), D("2200.00"), D("22.0")),
        (2028, D("1100.00"), D("2100.00"), D("21.0")),
    ]
