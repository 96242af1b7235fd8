"""FilterSets of registration, shared by the list pages and the API."""
