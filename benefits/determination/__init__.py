"""The determination (待遇核定, §9.2): the pure calculation (``calc``), the retirement
case and the determination it approves (``retirement``), and the provisional
recalculation batch when a year's calculation base is published (``provisional``)."""
