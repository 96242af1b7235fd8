"""Reads of audit and internal control (稽核与内控): region-scoped querysets and figures."""
