"""Reads of fund revenue and expenditure (基金收支): region-scoped querysets and figures."""
