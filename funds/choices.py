"""Choice sets of fund revenue and expenditure (基金收支)."""
