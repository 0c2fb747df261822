"""Synthetic demo data: a generated Contract Package Area and its loader."""
