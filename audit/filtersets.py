"""FilterSets of audit and internal control, shared by the list pages and the API."""
