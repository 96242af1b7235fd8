"""Data-quality checks, statistics ledgers, the acceptance checklist and archives."""

__all__: list[str] = []
