"""Registration (参保登记): Employers, insured people, employment and key-data changes (DESIGN
§5.1).
"""
