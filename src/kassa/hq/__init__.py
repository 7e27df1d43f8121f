"""HQ (headquarters): system of record — master data, import, distribution, posting (DESIGN §2)."""
