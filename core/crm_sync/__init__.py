"""crm-sync shared core: what the taps, the mapper and the targets have in common.

Subpackages (DESIGN.md §5), each with its public API in its own docstring:

* :mod:`crm_sync.ledger` — the sync ledger (DESIGN §2): id map, base snapshots,
  last-seen modification times, tombstones, pending associations, dead letters and
  run log, on SQLAlchemy (a SQLite file by default, any URL such as PostgreSQL).
* :mod:`crm_sync.reconcile` — the three-way merge and conflict policy (DESIGN §3),
  pure functions, plus the run report / dry-run plan.
"""
