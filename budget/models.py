"""Models of budget (基金预算)."""
