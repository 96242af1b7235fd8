"""FilterSets of personal pension accounts, shared by the list pages and the API."""
