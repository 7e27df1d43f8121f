"""HQ HTTP API routers (FastAPI): :mod:`.admin` (admin token), :mod:`.distribution` (store
server token); shared dependencies in :mod:`.deps`, bodies in :mod:`.models`."""
