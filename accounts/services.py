"""Writes of personal pension accounts (个人账户): one function per business operation, in a
transaction.
"""
