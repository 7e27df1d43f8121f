"""The pure domain of Kassa: rules only, no database, HTTP or framework imports.

Everything here is plain Python on ``Decimal``, ``datetime`` and ``uuid``; the tiers
(``kassa.hq``, ``kassa.store``, ``kassa.pos``) wire it to storage and HTTP.
"""
