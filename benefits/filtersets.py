"""FilterSets of benefits and payroll, shared by the list pages and the API."""
