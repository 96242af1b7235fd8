"""The double-entry fund ledger (基金会计账): accounts, periods, journal entries."""

__all__: list[str] = []
