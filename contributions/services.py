"""Writes of contributions (基金征缴): one function per business operation, in a transaction."""
