"""The convergence property again, with the real ledger in the loop (SQLite in memory).

Same simulation as ``test_convergence``, but every leg loads its state through
:meth:`LedgerStore.load` and records its outcome with one ``batch()``/``apply``, the
way a target does, and the two sides use different ids (created records get new ones).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from hypothesis import given, settings

from crm_sync.ledger import LedgerStore
from crm_sync.reconcile import (
    Action,
    DestinationState,
    SourceRecord,
    needs_destination,
    plan_record,
)
from crm_sync.vocabulary import Direction, Side

from .test_convergence import (
    World,
    build,
    check_agreement,
    mapped,
    never_written,
    play,
    policies,
    sf_records,
    starts,
    steps,
)

_serial = itertools.count()


@dataclass
class LedgerWorld(World):
    store: LedgerStore | None = None
    ids: dict[Side, str] = field(
        default_factory=lambda: {Side.SALESFORCE: "a0", Side.HUBSPOT: "h0"}
    )

    def leg(self, direction: Direction) -> list:
        assert self.store is not None
        src, dst = direction.source, direction.destination
        source_id = self.ids[src]
        if self.records[src] is None:
            if self.deleted_at[src] is None:
                return []
            deleted = self.deleted_at[src]
            record = SourceRecord(source_id, {}, deleted, deleted_at=deleted)
        else:
            record = SourceRecord(
                source_id, mapped(self.records[src], direction), self.times[src],
                native=dict(self.records[src]),
            )  # fmt: skip
        state = self.store.load(self.policy.name, direction, [source_id]).state(source_id)
        destination = None
        current = self.records[dst]
        linked = state.destination_id is not None
        if needs_destination(self.policy, direction, record, state) or not linked:
            if current is not None:
                destination = DestinationState(self.ids[dst], dict(current), self.times[dst])
            elif linked:
                destination = DestinationState.missing(state.destination_id)
        plan = plan_record(self.policy, direction, record, state, destination)
        self.plans.append(plan)
        assert not (plan.action is Action.CREATE and dst in self.ever_deleted), "resurrected"
        written_at = None
        if plan.action in (Action.CREATE, Action.UPDATE):
            assert not set(plan.changes) & never_written(direction), plan
            if plan.action is Action.CREATE:
                self.records[dst] = {}
                self.ids[dst] = f"{dst.value[0]}{next(_serial) + 1}"  # a new record, a new id
                self.deleted_at[dst] = None
            self.records[dst].update(plan.changes)
            written_at = self.times[dst] = self.tick()
            self.linked = True
        elif plan.action is Action.ARCHIVE:
            self.records[dst] = None
            self.deleted_at[dst] = self.tick()
            self.ever_deleted.add(dst)
        elif plan.action is Action.UNCHANGED:
            self.linked = True
        with self.store.batch() as uow:
            uow.apply(plan, self.ids[dst], destination_modified_at=written_at)
        linked_pair = self.store.load(self.policy.name, direction, [source_id])
        if plan.action in (Action.CREATE, Action.UPDATE, Action.UNCHANGED):
            assert linked_pair.destination_id(source_id) == self.ids[dst]
        self.base = linked_pair.state(source_id).base
        return [plan] if plan.writes else []


@settings(max_examples=60, deadline=None)
@given(policies, starts, sf_records, sf_records, steps)
def test_convergence_through_the_ledger(policy, start, sf, hs, script):
    seed = build(policy, start, sf, hs)
    with LedgerStore("sqlite://") as store:
        world = LedgerWorld(seed.policy, seed.records, seed.times, store=store)
        if start == "linked":
            with store.batch() as uow:
                uow.link(policy.name, "a0", "h0", base=seed.base)
            world.linked, world.base = True, seed.base
        play(world, script)
        world.round()
        world.round()
        check_agreement(world)
        snapshot = {side: dict(r) if r else r for side, r in world.records.items()}
        for _ in range(2):
            assert world.round() == []
            assert world.records == snapshot
