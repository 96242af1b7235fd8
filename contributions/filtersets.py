"""FilterSets of contributions, shared by the list pages and the API."""
