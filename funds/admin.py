"""Django admin of fund revenue and expenditure (基金收支)."""
