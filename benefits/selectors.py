"""Reads of benefits and payroll (待遇核定与发放): region-scoped querysets and figures."""
