"""Writes of fund revenue and expenditure (基金收支): one function per business operation, in a
transaction.
"""
