"""The Celery beat calendar: the one place where periodic work is scheduled.

Later batches add their entries here (assessment at month start, payroll by the pay
day, interest when the year's rate is entered, the certification sweep monthly, risk
scans nightly)."""

from celery.schedules import crontab

BEAT_SCHEDULE: dict[str, dict] = {
    "beat-heartbeat": {
        "task": "pension.tasks.beat_heartbeat",
        "schedule": 60.0,
    },
    # DESIGN §2.3: a dry run (试算) of the month just begun for the default profile's
    # province, created and started by the system, calculated before staff arrive
    "assessment-month-start": {
        "task": "contributions.tasks.assessment_month_start",
        "schedule": crontab(minute=0, hour=2, day_of_month=1),
    },
    # DESIGN §5.3: credit the personal accounts with what the tax bureau collected
    "account-crediting-monthly": {
        "task": "accounts.tasks.monthly_crediting",
        "schedule": crontab(minute=0, hour=3, day_of_month=5),
    },
    # interest when the year's rate is entered: a dry run to look at
    "interest-rate-watch": {
        "task": "accounts.tasks.interest_rate_watch",
        "schedule": crontab(minute=30, hour=2),
    },
    # DESIGN §5.4: when a year's calculation base is entered, the provisional
    # determinations of that year are recalculated (多退少补 in the next payroll)
    "provisional-determinations-watch": {
        "task": "benefits.tasks.provisional_determinations_watch",
        "schedule": crontab(minute=45, hour=2),
    },
    # DESIGN §2.4: the change log's head, signed, written outside the database hourly
    "change-log-anchor-hourly": {
        "task": "pension.tasks.change_log_anchor",
        "schedule": crontab(minute=7),
    },
    "purge-expired-sessions": {
        "task": "pension.tasks.purge_expired_sessions",
        "schedule": crontab(hour=3, minute=17),
    },
}

# §9.3.3, §9.6: on the 2nd of the month, suspend the retirees whose life certification
# is overdue (a missing certification; back-paid when they are certified and resumed)
BEAT_SCHEDULE["certification-sweep-monthly"] = {
    "task": "benefits.tasks.certification_sweep",
    "schedule": crontab(minute=0, hour=3, day_of_month=2),
}

# §9.3.1: on the 3rd, the month's payroll dry run for the province, so the variance
# report is ready before the live run (the pay day is later in the month)
BEAT_SCHEDULE["payroll-month-dry-run"] = {
    "task": "benefits.tasks.payroll_month_dry_run",
    "schedule": crontab(minute=30, hour=2, day_of_month=3),
}

# DESIGN §5.7: the risk rules, nightly, after the day's approvals; the alerts are in the
# auditors' queue in the morning
BEAT_SCHEDULE["risk-scan-nightly"] = {
    "task": "audit.tasks.risk_scan_nightly",
    "schedule": crontab(minute=15, hour=1),
}

# DESIGN §5.5: the month-end close of the month just ended (revenue, expenditure, the sweep
# to the special account, the reserve check), on the 1st before the day's work
BEAT_SCHEDULE["funds-month-end-close"] = {
    "task": "funds.tasks.month_end_close",
    "schedule": crontab(minute=30, hour=0, day_of_month=1),
}

# DESIGN §5.5, seed 000 item 10: the three-way reconciliation of the month just ended, on
# the 8th (the banks' and finance's statements of the month are in by then); skipped when
# a fund accountant already ran it
BEAT_SCHEDULE["funds-reconciliation-monthly"] = {
    "task": "funds.tasks.month_reconciliation",
    "schedule": crontab(minute=40, hour=0, day_of_month=8),
}

# DESIGN §5.6: the month-end snapshot (insured, contributors, retirees by county, age band
# and sex; assessed and collected) of the month just ended, kept for the scorecards
BEAT_SCHEDULE["budget-snapshot-month-end"] = {
    "task": "budget.tasks.snapshot_month_end",
    "schedule": crontab(minute=20, hour=0, day_of_month=1),
}

# DESIGN §5.5: every morning, a reminder (催报) for each county and city whose spending
# plan for next month is due today or late, and each city not yet paid by the
# disbursement day (funds.spending_plan_due_day, funds.city_plan_due_day,
# funds.disbursement_day)
BEAT_SCHEDULE["funds-plan-reminders-daily"] = {
    "task": "funds.tasks.plan_reminders",
    "schedule": crontab(minute=10, hour=7),
}

# operations standard §11.1.5: the data-quality checks each quarter, on its first day, for
# the quarter just ended
BEAT_SCHEDULE["audit-data-quality-quarterly"] = {
    "task": "audit.tasks.data_quality_quarterly",
    "schedule": crontab(minute=40, hour=1, day_of_month=1, month_of_year="1,4,7,10"),
}

# DESIGN §2.4, §5.7: the change log's hash chain verified daily; a broken chain raises an
# alert (rule chain_broken) in the auditors' queue
BEAT_SCHEDULE["audit-chain-verify-daily"] = {
    "task": "audit.tasks.chain_verify_daily",
    "schedule": crontab(minute=50, hour=0),
}
