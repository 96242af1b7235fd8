"""Monthly spending plans (用款计划) and disbursements (拨付)."""

__all__: list[str] = []
