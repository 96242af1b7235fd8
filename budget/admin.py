"""Django admin of budget (基金预算)."""
