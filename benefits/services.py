"""Writes of benefits and payroll (待遇核定与发放): one function per business operation, in a
transaction.
"""
