"""What both targets share around the ledger: one reconciled, written, recorded batch.

* :mod:`crm_sync.sync.batch` — :func:`reconcile_batch`: ledger view → destination read
  (only records whose source changed vs base) → :func:`crm_sync.reconcile.plan_record`,
  and :class:`BatchWrite`, the outcome of writing a batch that the ledger commits in one
  transaction.
* :mod:`crm_sync.sync.leg` — :class:`MappedLeg`: one mapped stream, batch after batch.
* :mod:`crm_sync.sync.ledger` — :class:`SyncLedger`, the batch-level ledger calls a target
  makes, wrapping one :class:`crm_sync.ledger.LedgerStore`; :func:`open_ledger`.
* :mod:`crm_sync.sync.associations` — which associations/lookups a batch makes, undoes or
  parks, and the end-of-run retry of parked ones.
* :mod:`crm_sync.sync.state` — STATE held until the records before it are durable.
* :mod:`crm_sync.sync.target` — :class:`SyncTarget` / :class:`SyncSink`: the end of a run
  (dead letters, pending associations, the report) once for both targets.
* :mod:`crm_sync.sync.objects` — which object each mapping writes, kept next to the ledger.
* :mod:`crm_sync.sync.annotations` — reading the mapper's annotations (rules, ids,
  associations) from a SCHEMA message.
"""
