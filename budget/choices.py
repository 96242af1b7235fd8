"""Choice sets of budget (基金预算)."""
