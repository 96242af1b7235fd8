"""FilterSets of fund revenue and expenditure, shared by the list pages and the API."""
