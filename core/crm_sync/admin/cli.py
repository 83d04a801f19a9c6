"""The ``crm-sync`` command: status, dead letters, pending associations, runs, report.

The ledger comes from ``--ledger-url``, else ``CRM_SYNC_LEDGER_URL`` (the variable the
targets' ``ledger_url`` reads in the prod environment), else the targets' default file.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import click

from crm_sync.admin.overview import ledger_status, pending_reason, run_totals
from crm_sync.admin.page import load_plans, render_page
from crm_sync.ledger import LedgerStore
from crm_sync.ledger.models import RUN_COUNTERS
from crm_sync.sync.publish import default_ledger_url
from crm_sync.vocabulary import WRITE_BACK_SOURCE_GONE, Direction

LEDGER_ENV = "CRM_SYNC_LEDGER_URL"
_F = TypeVar("_F", bound=Callable[..., None])
_DIRECTIONS = click.Choice([d.value for d in Direction])


@contextmanager
def _store(ctx: click.Context) -> Iterator[LedgerStore]:
    store = LedgerStore(ctx.obj or default_ledger_url())
    try:
        yield store
    finally:
        store.close()


@click.group()
@click.option(
    "--ledger-url",
    envvar=LEDGER_ENV,
    help=f"SQLAlchemy URL or path of the ledger (default ${LEDGER_ENV}, else the targets' file).",
)
@click.pass_context
def main(ctx: click.Context, ledger_url: str | None) -> None:
    """See and fix sync problems in the crm-sync ledger."""
    ctx.obj = ledger_url


@main.command()
@click.option("--mapping", help="Only this mapping.")
@click.pass_context
def status(ctx: click.Context, mapping: str | None) -> None:
    """Per mapping: linked records, last run, pending associations, dead letters."""
    with _store(ctx) as store:
        statuses = ledger_status(store, mapping)
    if not statuses:
        click.echo("the ledger holds no mapping yet")
    for s in statuses:
        click.echo(f"{s.mapping}: {s.linked} linked")
        for leg, r in s.last_per_leg.items():
            figures = ", ".join(f"{k} {r.counts.get(k, 0)}" for k in RUN_COUNTERS[:8])
            click.echo(
                f"  last {leg} run {r.run_id} at {r.started_at:%Y-%m-%d %H:%M:%S} ({figures})"
            )
        if not s.last_per_leg:
            click.echo("  no run logged")
        click.echo(f"  pending associations: {len(s.pending)}")
        for reason, n in sorted(s.pending_by_reason.items()):
            click.echo(f"    {n} {reason}")
        click.echo(f"  dead letters: {len(s.dead_letters)}")
        for code, n in sorted(s.dead_by_code.items()):
            click.echo(f"    {n} {code}")
        if s.write_backs_waiting:
            click.echo(f"  ids waiting to be written back: {s.write_backs_waiting}")
        if s.write_backs_gone:
            click.echo(
                f"  id write-backs closed, the source record deleted ({WRITE_BACK_SOURCE_GONE}):"
                f" {s.write_backs_gone}"
            )


@main.group("dead-letters")
def dead_letters() -> None:
    """List, retry or dismiss records a destination refused."""


@dead_letters.command("list")
@click.option("--mapping", help="Only this mapping.")
@click.option("--all", "everything", is_flag=True, help="Resolved and dismissed ones too.")
@click.pass_context
def dead_list(ctx: click.Context, mapping: str | None, everything: bool) -> None:
    """One line per dead letter: mapping, leg, source id, code, attempts, message."""
    with _store(ctx) as store:
        names = [mapping] if mapping else store.mappings()
        for name in names:
            for d in Direction:
                for x in store.dead_letters(name, d, include_resolved=everything):
                    state = "open" if x.resolved_at is None else "closed"
                    click.echo(
                        f"{x.mapping}\t{d}\t{x.source_id}\t{x.error.code}\t{state}\t"
                        f"{x.attempts}\t{x.error.message}"
                    )


def _leg_options(command: _F) -> _F:
    """``--mapping``, ``--direction`` and the source ids of one leg's dead letters."""
    command = click.argument("source_ids", nargs=-1)(command)
    command = click.option("--direction", type=_DIRECTIONS, required=True)(command)
    return click.option("--mapping", required=True)(command)


@dead_letters.command("retry")
@_leg_options
@click.pass_context
def dead_retry(
    ctx: click.Context, mapping: str, direction: str, source_ids: tuple[str, ...]
) -> None:
    """Mark dead letters for the next run, which replays them (open ones always are).

    Name the source ids: a resolved letter's stored payload is older than the record.
    """
    if not source_ids:
        raise click.UsageError("name the source ids to retry")
    with _store(ctx) as store:
        n = store.reopen_dead_letters(mapping, Direction(direction), source_ids)
    click.echo(f"{n} dead letter(s) reopened; the next run of {mapping} ({direction}) retries them")


@dead_letters.command("dismiss")
@_leg_options
@click.option("--all", "everything", is_flag=True, help="Every open dead letter of the leg.")
@click.pass_context
def dead_dismiss(
    ctx: click.Context, mapping: str, direction: str, source_ids: tuple[str, ...], everything: bool
) -> None:
    """Close dead letters: the targets stop retrying them."""
    if not source_ids and not everything:
        raise click.UsageError("name the source ids to dismiss, or --all")
    with _store(ctx) as store:
        n = store.dismiss_dead_letters(mapping, Direction(direction), source_ids or None)
    click.echo(f"{n} dead letter(s) dismissed")


@main.group()
def pending() -> None:
    """Associations waiting for their target record."""


@pending.command("list")
@click.option("--mapping", help="Only this mapping.")
@click.pass_context
def pending_list(ctx: click.Context, mapping: str | None) -> None:
    """One line per pending association: mapping, leg, from id, lookup, target, attempts,
    reason, and the reason in words naming the records."""
    with _store(ctx) as store:
        for name in [mapping] if mapping else store.mappings():
            for d in Direction:
                for p in store.pending_associations(name, d):
                    click.echo(
                        f"{p.mapping}\t{d}\t{p.from_id}\t{p.lookup}\t"
                        f"{p.target_mapping}:{p.target_source_id}\t{p.attempts}\t"
                        f"{pending_reason(p)}\t{p.last_error or ''}"
                    )


@main.command()
@click.option("--mapping", help="Only this mapping.")
@click.option("--limit", type=int, default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="JSON lines instead of a table.")
@click.pass_context
def runs(ctx: click.Context, mapping: str | None, limit: int, as_json: bool) -> None:
    """The run log, newest first: one line per run, mapping and leg."""
    with _store(ctx) as store:
        entries = store.runs(mapping=mapping)[:limit]
    if not as_json:
        click.echo("\t".join(["run", "mapping", "direction", "started", *RUN_COUNTERS]))
    for e in entries:
        if as_json:
            row = e.to_row() | {"started_at": e.started_at.isoformat()}
            row["finished_at"] = e.finished_at.isoformat() if e.finished_at else None
            click.echo(json.dumps(row))
        else:
            counts = [str(e.counts.get(c, 0)) for c in RUN_COUNTERS]
            click.echo(
                "\t".join(
                    [
                        e.run_id,
                        e.mapping,
                        str(e.direction),
                        f"{e.started_at:%Y-%m-%d %H:%M:%S}",
                        *counts,
                    ]
                )
            )


@main.command()
@click.option("--html", "html_path", type=click.Path(path_type=Path), required=True)
@click.option(
    "--runs", "run_count", type=int, default=30, show_default=True, help="Recent runs charted."
)
@click.option(
    "--plan",
    "plans",
    type=click.Path(path_type=Path),
    multiple=True,
    help="A target's plan/report JSON (plan_path): conflicts and field diffs. Repeatable.",
)
@click.option("--with-values", is_flag=True, help="Include record values, messages, payloads.")
@click.pass_context
def report(
    ctx: click.Context, html_path: Path, run_count: int, plans: tuple[Path, ...], with_values: bool
) -> None:
    """Write one self-contained HTML page of the recent runs (a CI artifact)."""
    with _store(ctx) as store:
        statuses = ledger_status(store)
        totals = run_totals(store.runs(), run_count)
    page = render_page(statuses, totals, load_plans(plans), with_values=with_values)
    html_path.parent.mkdir(parents=True, exist_ok=True)
    html_path.write_text(page)
    click.echo(f"wrote {html_path} ({len(totals)} run(s), {len(statuses)} mapping(s))")
