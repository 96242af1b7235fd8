"""Forms of audit and internal control (稽核与内控)."""
