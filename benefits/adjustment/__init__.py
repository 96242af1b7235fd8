"""Benefit adjustment (待遇调整, §9.4): the annual adjustment batch and the individual
adjustment (``adjustments``), with their pages (``views``, ``urls``)."""
