"""``map-crm init``: write a drafted spec for one object pair (``map_crm.draft``).

Reads both live schemas with the same credentials as ``map-crm validate`` (``--config``
or ``MAP_CRM_*`` variables), and the other specs of the mappings directory so lookups
become associations to them. ``--out`` refuses to overwrite a file without ``--force``;
without ``--out`` the spec goes to stdout. A HubSpot custom object that does not exist
yet is drafted as the object the target will create (:mod:`map_crm.new_object`).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from crm_sync.hubspot.client import STANDARD_OBJECTS
from crm_sync.schemas import LiveSchemaError
from crm_sync.schemas.fetch import fetch_objects
from crm_sync.spec import load_dir
from map_crm.draft import ObjectPair, draft, render
from map_crm.live import side_settings
from map_crm.new_object import planned_schema
from map_crm.options import DEFAULT_MAPPINGS_DIR, mappings_option


@click.command("init")
@click.option("--salesforce", "sf_object", required=True, help="Salesforce object, e.g. Account.")
@click.option("--hubspot", "hs_object", required=True, help="HubSpot object, e.g. companies.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None)
@click.option("--force", is_flag=True, help="Overwrite --out if it exists.")
@mappings_option("Specs the draft's associations may point to")
@click.pass_context
def init_command(
    ctx: click.Context,
    sf_object: str,
    hs_object: str,
    out: Path | None,
    force: bool,
    mappings_dir: Path | None,
) -> None:
    """Draft a mapping spec from both live schemas, for a person to review."""
    from map_crm.mapper import config_of

    config = config_of(ctx)
    if out is not None and out.exists() and not force:
        click.echo(f"error: {out} exists; pass --force to overwrite it", err=True)
        sys.exit(1)
    sf, hs = side_settings(config)
    if not (sf.configured and hs.configured):
        click.echo("error: init reads both live schemas: set both sides' credentials", err=True)
        sys.exit(1)
    try:
        live = fetch_objects([sf_object], [hs_object], sf, hs)
    except LiveSchemaError as exc:
        click.echo(f"error: cannot read the live schemas: {exc}", err=True)
        sys.exit(1)
    describe = next(
        (v for k, v in live.salesforce.items() if k.casefold() == sf_object.casefold()), None
    )
    schema = next(
        (v for k, v in live.hubspot.items() if k.casefold() == hs_object.casefold()), None
    )
    if describe is None or (schema is None and hs_object.casefold() in STANDARD_OBJECTS):
        missing = f"Salesforce {sf_object}" if describe is None else f"HubSpot {hs_object}"
        click.echo(f"error: {missing} does not exist", err=True)
        sys.exit(1)
    new = schema is None
    if schema is None:
        click.echo(
            f"HubSpot has no object {hs_object}: drafting the custom object the target will "
            "create (create_object: true), one property per Salesforce field",
            err=True,
        )
        schema = planned_schema(sf_object, hs_object, describe)
    directory = mappings_dir or Path(config.get("mappings_dir", DEFAULT_MAPPINGS_DIR))
    others = load_dir(directory).mappings if directory.is_dir() else []
    result = draft(ObjectPair(sf_object, hs_object, describe, schema, new=new), others)
    text = render(result)
    if out is None:
        click.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        click.echo(
            f"wrote {out}: {len(result.fields)} field(s), {len(result.associations)} "
            f"association(s), {len(result.unmatched_sf)} Salesforce field(s) and "
            f"{len(result.unmatched_hs)} HubSpot propert(ies) left as comments",
            err=True,
        )
    if result.notes:
        click.echo(f"{len(result.notes)} TODO(s) left in the draft", err=True)
