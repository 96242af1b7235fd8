"""Reads of budget (基金预算): region-scoped querysets and figures."""
