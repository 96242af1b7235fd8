"""Writes of budget (基金预算): one function per business operation, in a transaction."""
