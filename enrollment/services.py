"""Writes of registration (参保登记): one function per business operation, in a transaction."""
