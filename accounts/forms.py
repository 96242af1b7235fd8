"""Forms of personal pension accounts (个人账户)."""
