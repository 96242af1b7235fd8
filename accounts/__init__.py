"""Personal pension accounts (个人账户): The personal account ledger, crediting, interest,
transfers and settlement (DESIGN §5.3). Not logins.
"""
