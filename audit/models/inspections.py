"""Inspections (稽核): plans, cases and findings."""

__all__: list[str] = []
