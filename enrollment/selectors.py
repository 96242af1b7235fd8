"""Reads of registration (参保登记): region-scoped querysets and figures."""
