"""FilterSets of budget, shared by the list pages and the API."""
