"""The register (DESIGN §2, §3, §5): POS engine, data sources and the switch wiring.

* :mod:`.datasource` — the one data-source interface and its value types.
* :mod:`.store_source` — the store server over HTTP (httpx); :mod:`.store_http` maps
  transport failures to the switch's ``FailureKind``.
* :mod:`.offline_source` — the same reads from the offline DB (SQLite).
* :mod:`.connection` — the switching data source driven by ``kassa.domain.switch``.
* :mod:`.engine` — the POS engine (sessions, cart, tenders, completion, receipts).
* :mod:`.app` — the register's FastAPI app (docs/API.md "Register").
"""
