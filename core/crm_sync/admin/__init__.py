"""``crm-sync``: see and fix sync problems over the ledger, without SQL.

:mod:`~crm_sync.admin.overview` reads the ledger into plain figures,
:mod:`~crm_sync.admin.chart` draws the run counts as inline SVG,
:mod:`~crm_sync.admin.page` renders the self-contained HTML report and
:mod:`~crm_sync.admin.cli` is the command.
"""
