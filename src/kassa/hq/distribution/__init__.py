"""Distribution of master data from HQ to channel DBs and offline DBs (DESIGN §4, issue 3).

Modules: :mod:`.jobs` (job catalogue, group filters, default schedules), :mod:`.setup`
(Support offline, channel database entities), :mod:`.access` (store server tokens,
activation), :mod:`.changes` (reading changes under the counter lock), :mod:`.writer`
(running a schedule: one package per data group), :mod:`.snapshot` (full snapshots for new
targets), :mod:`.packages` (stored packages: headers and bodies), :mod:`.entities` (HQ's
view and status reports), :mod:`.scheduler` (interval runs).
"""
