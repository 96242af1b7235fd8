"""Forms of budget (基金预算)."""
