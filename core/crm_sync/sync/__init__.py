"""What both targets share around the ledger: one reconciled, written, recorded batch.

* :mod:`crm_sync.sync.batch` — :func:`reconcile_batch`: ledger view → destination read
  (only records whose source changed vs base) → :func:`crm_sync.reconcile.plan_record`,
  and :class:`BatchWrite`, the outcome of writing a batch that the ledger commits in one
  transaction.
* :mod:`crm_sync.sync.ledger` — :class:`SyncLedger`, the ledger operations a target needs,
  and :func:`open_ledger`, the shared :mod:`crm_sync.ledger` store with those calls on top.
* :mod:`crm_sync.sync.objects` — which object each mapping writes, kept next to the ledger.
* :mod:`crm_sync.sync.annotations` — reading the mapper's annotations (rules, ids,
  associations) from a SCHEMA message.
"""
