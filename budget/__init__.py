"""Budget (基金预算): Annual budget, adjustments, final accounts, gap-sharing and scorecards
(DESIGN §5.6).
"""
