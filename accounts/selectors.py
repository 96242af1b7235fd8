"""Reads of personal pension accounts (个人账户): region-scoped querysets and figures."""
