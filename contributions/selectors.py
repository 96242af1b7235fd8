"""Reads of contributions (基金征缴): region-scoped querysets and figures."""
