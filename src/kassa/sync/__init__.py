"""Synchronisation shared by the tiers: the data package format and its apply (DESIGN §4),
and the register's async sync client (download packages, upload offline transactions)."""
