"""Audit and internal control (稽核与内控): Inspections, risk rules, internal-control reports
and the acceptance checklist (DESIGN §5.7).
"""
