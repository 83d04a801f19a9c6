"""Which Salesforce org and HubSpot portal a ledger belongs to.

Links, bases and tombstones are facts about one org and one portal. Pointed at another
(a refreshed Salesforce sandbox keeps production's record ids, a staging portal), a
ledger would find every record "unchanged" and write nothing. So the ledger records the
account id of each side the first time a target opens it (Salesforce's org id, HubSpot's
portal id), in a small table of its database, and every later run compares: a mismatch
stops the run before anything is read or written.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Column, DateTime, MetaData, String, Table, select
from sqlalchemy.engine import Engine

from crm_sync.ledger.engine import LedgerError, write_connection
from crm_sync.vocabulary import Side

__all__ = ["LedgerAccountMismatch", "LedgerAccounts"]

metadata = MetaData()

ledger_account = Table(
    "ledger_account",
    metadata,
    Column("side", String(16), primary_key=True),
    Column("account_id", String(64), nullable=False),
    Column("bound_at", DateTime(timezone=True), nullable=False),
)

_ACCOUNT = {Side.SALESFORCE: "Salesforce org", Side.HUBSPOT: "HubSpot portal"}


class LedgerAccountMismatch(LedgerError):
    """The ledger was built with another org or portal than this run talks to."""


class LedgerAccounts:
    """The ``ledger_account`` table on the ledger's engine."""

    def __init__(self, engine: Engine, label: str) -> None:
        self.engine = engine
        self.label = label
        with write_connection(engine) as connection, connection.begin():
            metadata.create_all(connection)

    def bound(self) -> dict[Side, str]:
        """The account id recorded for each side so far."""
        with self.engine.connect() as connection:
            rows = connection.execute(select(ledger_account)).all()
        return {Side(row.side): row.account_id for row in rows}

    def bind(self, side: Side, account_id: str) -> None:
        """Record ``account_id`` for ``side`` on first use; refuse any other later.

        Raises:
            LedgerAccountMismatch: the ledger belongs to another org or portal.
        """
        with write_connection(self.engine) as connection, connection.begin():
            row = connection.execute(
                select(ledger_account.c.account_id).where(ledger_account.c.side == str(side))
            ).first()
            if row is None:
                connection.execute(
                    ledger_account.insert().values(
                        side=str(side), account_id=account_id, bound_at=datetime.now(UTC)
                    )
                )
                return
        if row.account_id != account_id:
            what = _ACCOUNT[side]
            raise LedgerAccountMismatch(
                f"the ledger {self.label} belongs to {what} {row.account_id}, but this run "
                f"talks to {what} {account_id}: give each org/portal pair its own ledger_url "
                "(one per environment), or point this run back at the ledger's org and portal"
            )
