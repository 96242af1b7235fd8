"""Fund revenue and expenditure (基金收支): Fund ledger, spending plans, sweeps to the special
account and reconciliation (DESIGN §5.5).
"""
