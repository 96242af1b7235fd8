"""Writes of audit and internal control (稽核与内控): one function per business operation, in a
transaction.
"""
