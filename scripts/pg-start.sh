#!/usr/bin/env bash
# Start the local PostgreSQL 15 cluster when it is installed but not running, and make sure
# the role/database used by the tests exists. Prints what it did; never fails the build
# (the PostgreSQL tests then skip with a visible reason).
set -u
if ! command -v pg_lsclusters >/dev/null 2>&1; then
  echo "pg-start: PostgreSQL is not installed here; PostgreSQL tests will be skipped"; exit 0
fi
if ! pg_lsclusters --no-header | awk '$4=="online"{found=1} END{exit !found}'; then
  echo "pg-start: starting PostgreSQL cluster 15/main"
  pg_ctlcluster 15 main start || { echo "pg-start: could not start PostgreSQL"; exit 0; }
fi
if [ "$(id -u)" = "0" ]; then
  su postgres -c "psql -qtAc \"SELECT 1 FROM pg_roles WHERE rolname='kassa'\"" | grep -q 1 || \
    su postgres -c "psql -qc \"CREATE ROLE kassa LOGIN SUPERUSER PASSWORD 'kassa'\""
  su postgres -c "psql -qtAc \"SELECT 1 FROM pg_database WHERE datname='kassa'\"" | grep -q 1 || \
    su postgres -c "psql -qc \"CREATE DATABASE kassa OWNER kassa\""
fi
echo "pg-start: PostgreSQL is up (postgresql://kassa:kassa@127.0.0.1:5432/kassa)"
