"""map-crm: the Singer mapper that applies the mapping specs (DESIGN.md section 1).

Streams whose name matches a mapping's source object (``salesforce.object`` on
``sf_to_hs``, ``hubspot.object`` on ``hs_to_sf``, or the side's ``stream``) are
renamed to the destination object and converted (``map_crm.streams`` documents the
record shape). Other streams pass through untouched; a disabled mapping's stream is
dropped. STATE passes through unchanged.

The emitted SCHEMA carries everything a target needs, so no target reads the spec:
each property has ``x-crm-rule`` (the sync rule), ``x-crm-source`` (source field) and
``x-crm-kind`` (value kind for ``crm_sync.convert.normalize``); the schema has
``x-crm-mapping``: ``{name, salesforce: {object, id_field}, hubspot: {object,
id_property}, create: {to_hubspot, to_salesforce}, delete: {to_hubspot,
to_salesforce}, conflict, tie, filter, direction, key}``; ``key_properties`` is the
upsert key (``hubspot.id_property`` or ``salesforce.id_field``).

Specs are loaded and checked at start, against the live schemas too (``map_crm.live``:
a snapshot, or the APIs when both sides' credentials are set); any error stops the
mapper with the full list. ``map-crm validate [--mappings DIR] [--live-schemas FILE]
[--save-live-schemas FILE]`` runs the same checks, prints the API calls it made and
exits 1 on errors (the CLI is a click group whose default action is the mapper).
"""

from __future__ import annotations

import json
import logging
import os
import sys
import typing as t
from dataclasses import replace
from pathlib import Path

import click
from singer_sdk import typing as th
from singer_sdk.exceptions import ConfigValidationError
from singer_sdk.mapper_base import InlineMapper
from singer_sdk.singerlib import (
    ActivateVersionMessage,
    Message,
    RecordMessage,
    SchemaMessage,
    StateMessage,
)

from crm_sync.hubspot import HubSpotClient
from crm_sync.hubspot.client import STANDARD_OBJECTS
from crm_sync.hubspot.properties import CREATE_SETTING, warn_create_setting
from crm_sync.owners import OwnerDirectory, load_owner_directory
from crm_sync.salesforce import SalesforceClient
from crm_sync.spec import Mapping, SpecError, SpecSet, load_dir, validate_live
from crm_sync.spec.compat import Compat
from crm_sync.spec.loader import spec_files
from crm_sync.stops import CleanStops, InputError
from crm_sync.vocabulary import Direction
from crm_sync.wire import MessageReader, MessageWriter
from map_crm.init_command import init_command
from map_crm.live import (
    LIVE_SETTINGS,
    LiveSchemaError,
    LiveSource,
    LiveSourceMissing,
    missing_sides,
    resolve_live,
    side_settings,
)
from map_crm.options import DEFAULT_MAPPINGS_DIR, mappings_option
from map_crm.streams import LiveTypes, StreamMapper

LOGGER = logging.getLogger("map-crm")


def declare_create_object(mapping: Mapping) -> Mapping:
    """``mapping`` creating its HubSpot custom object unless its spec says otherwise (a
    standard object exists already: left as it is)."""
    standard = mapping.hubspot.object.casefold() in STANDARD_OBJECTS
    if mapping.hubspot.create_object is not None or standard:
        return mapping
    return replace(mapping, hubspot=replace(mapping.hubspot, create_object=True))


#: Issue code of a lossy-conversion notice (``crm_sync.spec.compat.Compat.LOSSY``).
LOSSY = str(Compat.LOSSY)


def check_specs(
    mappings_dir: str | Path, config: dict[str, t.Any], snapshot: str | Path | None = None
) -> tuple[SpecSet, LiveSource]:
    """Load the specs; add the live-schema issues when a live source applies.

    Raises ``LiveSourceMissing`` / ``LiveSchemaError`` when the live schemas are
    required but cannot be had.
    """
    specs = load_dir(mappings_dir)
    warn_create_setting("map-crm", config, LOGGER)
    if config.get(CREATE_SETTING):  # the deprecated setting answers where a spec is silent
        specs.mappings = [declare_create_object(m) for m in specs.mappings]
    if not specs.mappings:  # nothing loaded: nothing to check against the APIs
        return specs, LiveSource(None, "no mapping loaded")
    # Every mapping that loaded is checked live, even when another file has errors, so
    # one pass shows every error (issue 14, feature 8).
    live = resolve_live(config, specs.mappings, snapshot)
    if live.data is not None and live.validate:
        specs.issues.extend(
            validate_live(
                specs.mappings,
                live.data.get("salesforce") or {},
                live.data.get("hubspot") or {},
            )
        )
    return specs, live


class MapCrm(CleanStops, InlineMapper):
    """Renames, converts and annotates CRM streams per the mapping specs."""

    name = "map-crm"
    message_reader_class = MessageReader
    message_writer_class = MessageWriter
    """Both ends of the mapper speak msgspec (:mod:`crm_sync.wire`)."""

    config_jsonschema = th.PropertiesList(
        th.Property(
            "mappings_dir",
            th.StringType,
            default=DEFAULT_MAPPINGS_DIR,
            description="Directory of mapping spec files (*.yml).",
        ),
        th.Property(
            "direction",
            th.StringType,
            default=str(Direction.SF_TO_HS),
            allowed_values=[str(d) for d in Direction],
            description="sf_to_hs (forward leg) or hs_to_sf (reverse leg).",
        ),
        *LIVE_SETTINGS,
    ).to_dict()

    def __init__(self, **kwargs: t.Any) -> None:
        super().__init__(**kwargs)
        self.direction = Direction(self.config.get("direction", Direction.SF_TO_HS))
        config = dict(self.config)
        try:
            self.specs, live = check_specs(config.get("mappings_dir", DEFAULT_MAPPINGS_DIR), config)
        except (LiveSourceMissing, LiveSchemaError) as exc:
            raise ConfigValidationError(str(exc), errors=[str(exc)]) from exc
        lossy = [i for i in self.specs.warnings if i.code == LOSSY]
        for issue in self.specs.warnings:
            if issue.code != LOSSY:
                self.logger.warning("%s", issue)
        if lossy:  # known limits of the schemas, listed by `validate`: not a warning per run
            self.logger.info(
                "%d lossy-conversion notice(s); `map-crm validate` lists them", len(lossy)
            )
        if self.specs.errors:
            raise SpecError(self.specs.issues)
        self.logger.info("Mapping specs: %s", live.summary)
        self.live_types = LiveTypes.from_data(live.data) if live.data else None
        self.mapped: dict[str, StreamMapper] = {}
        self.dropped: set[str] = set()
        self._owners: OwnerDirectory | None = None

    def owner_directory(self) -> OwnerDirectory:
        """The run's Users and owners, loaded at the first owner value and kept for the run.

        An owner field needs both sides' people, so both sides' credentials (the same
        ``salesforce_*`` / ``hubspot_*`` settings as live validation).
        """
        if self._owners is None:
            sf, hs = side_settings(dict(self.config))
            missing = missing_sides(sf, hs)
            if missing:
                raise InputError(
                    "an owner field (owner: true) matches Salesforce Users and HubSpot owners "
                    "by email, which needs both sides' credentials in map-crm's settings; "
                    "missing: " + "; ".join(missing)
                )
            salesforce, hubspot = SalesforceClient(sf), HubSpotClient(hs)
            try:
                self._owners = load_owner_directory(salesforce, hubspot)
            finally:
                salesforce.session.close()
                hubspot.session.close()
            self.logger.info(
                "Owners: %d Salesforce User(s) and %d active HubSpot owner(s) read "
                "(%d Salesforce and %d HubSpot API call(s))",
                len(self._owners.user_email),
                len(self._owners.owner_email),
                salesforce.counter.total,
                hubspot.counter.total,
            )
        return self._owners

    # --- message handlers ------------------------------------------------------

    def map_schema_message(self, message_dict: dict) -> t.Iterable[Message]:
        stream = message_dict["stream"]
        mapping = self.specs.for_stream(stream, self.direction)
        if mapping is None:
            yield SchemaMessage(
                stream=stream,
                schema=message_dict["schema"],
                key_properties=message_dict.get("key_properties"),
                bookmark_properties=message_dict.get("bookmark_properties"),
            )
            return
        if not mapping.enabled:
            self.dropped.add(stream)
            self.logger.info("Mapping %r is disabled: dropping stream %s", mapping.name, stream)
            return
        mapper = StreamMapper(
            mapping,
            self.direction,
            message_dict["schema"],
            self.specs,
            self.live_types,
            self.owner_directory,
        )
        self.mapped[stream] = mapper
        yield SchemaMessage(
            stream=mapper.stream_name,
            schema=mapper.schema(),
            key_properties=[mapper.key],
            bookmark_properties=["_crm_source_modified_at"],
        )

    def map_record_message(self, message_dict: dict) -> t.Iterable[Message]:
        stream = message_dict["stream"]
        if stream in self.dropped:
            return
        mapper = self.mapped.get(stream)
        if mapper is None:
            yield RecordMessage.from_dict(message_dict)
            return
        record = mapper.map_record(message_dict["record"])
        if record is None:
            return
        for warning in record.get("_crm_warnings") or ():
            self.logger.warning(
                "mapping %r record %s: %s [%s]",
                mapper.mapping.name,
                record["_crm_source_id"],
                warning["message"],
                warning["code"],
            )
        message_dict["stream"] = mapper.stream_name
        message_dict["record"] = record
        yield RecordMessage.from_dict(message_dict)

    def process_endofpipe(self) -> None:
        """Send the records still in the writer's block (input that ends without a STATE)."""
        super().process_endofpipe()
        if isinstance(self.message_writer, MessageWriter):
            self.message_writer.flush()

    def map_state_message(self, message_dict: dict) -> t.Iterable[Message]:
        yield StateMessage(value=message_dict["value"])

    def map_activate_version_message(self, message_dict: dict) -> t.Iterable[Message]:
        stream = message_dict["stream"]
        if stream in self.dropped:
            return
        mapper = self.mapped.get(stream)
        yield ActivateVersionMessage(
            stream=mapper.stream_name if mapper else stream, version=message_dict["version"]
        )

    # --- CLI: the mapper is the group's default; `validate` is a subcommand ------

    @classmethod
    def get_singer_command(cls) -> click.Command:
        base = super().get_singer_command()
        run_mapper = base.callback
        assert run_mapper is not None

        @click.pass_context
        def default(ctx: click.Context, **kwargs: t.Any) -> None:
            if ctx.invoked_subcommand is None:
                run_mapper(**kwargs)

        group = click.Group(
            name=base.name,
            params=base.params,
            callback=default,
            invoke_without_command=True,
            help="Execute the Singer mapper, or `validate` the mapping specs.",
            context_settings=base.context_settings,
        )
        group.add_command(validate_command)
        group.add_command(init_command)
        return group


def env_config(environ: t.Mapping[str, str] | None = None) -> dict[str, t.Any]:
    """Settings from ``MAP_CRM_<SETTING>`` variables, as meltano exports them.

    ``meltano invoke map-crm:validate`` runs ``map-crm validate`` without ``--config``;
    the plugin's resolved settings are in its environment instead.
    """
    environ = os.environ if environ is None else environ
    config: dict[str, t.Any] = {}
    for name, schema in MapCrm.config_jsonschema["properties"].items():
        value = environ.get(f"MAP_CRM_{name.upper()}")
        if value in (None, ""):
            continue
        types = schema.get("type", [])
        is_bool = "boolean" in (types if isinstance(types, list) else [types])
        config[name] = value.strip().lower() in ("true", "1", "yes") if is_bool else value
    return config


def config_of(ctx: click.Context) -> dict[str, t.Any]:
    """A subcommand's settings: the group's ``--config`` files, else ``MAP_CRM_*``."""
    parent = ctx.parent.params if ctx.parent else {}
    config_input = parent.get("config")
    return dict(getattr(config_input, "config", None) or {}) or env_config()


@click.command("validate")
@mappings_option("Mapping specs directory")
@click.option(
    "--live-schemas",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    default=None,
    help="JSON snapshot of describe/properties to validate against (instead of the APIs).",
)
@click.option(
    "--save-live-schemas",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the live schemas used to this JSON file (a snapshot for --live-schemas).",
)
@click.pass_context
def validate_command(
    ctx: click.Context,
    mappings_dir: Path | None,
    live_schemas: Path | None,
    save_live_schemas: Path | None,
) -> None:
    """Check every mapping spec against both live schemas; exit 1 on any error."""
    config = config_of(ctx)
    directory = mappings_dir or Path(config.get("mappings_dir", DEFAULT_MAPPINGS_DIR))
    try:
        specs, live = check_specs(directory, config, live_schemas)
    except (LiveSourceMissing, LiveSchemaError, OSError, ValueError) as exc:
        click.echo(f"error: cannot read the live schemas: {exc}", err=True)
        sys.exit(1)
    for issue in specs.issues:
        click.echo(str(issue), err=issue.is_error)
    if save_live_schemas is not None and live.data is not None:
        save_live_schemas.write_text(json.dumps(live.data, indent=1, sort_keys=True))
    click.echo(validate_summary(directory, specs, live), err=bool(specs.errors))
    if live.data is None or not live.validate:
        click.echo(
            f"WARNING: only the spec files were checked, NOT the live Salesforce and HubSpot "
            f"schemas ({live.origin}); set both sides' credentials or --live-schemas FILE",
            err=True,
        )
    sys.exit(1 if specs.errors else 0)


def validate_summary(directory: Path, specs: SpecSet, live: LiveSource) -> str:
    """One line: spec files (a file with errors counts too), errors, warnings, live check."""
    files = len(spec_files(directory)) if directory.is_dir() else 0
    enabled = sum(1 for m in specs.mappings if m.enabled)
    broken = files - len(specs.mappings)
    return (
        f"{files} mapping(s) in {directory} ({enabled} enabled, "
        f"{len(specs.mappings) - enabled} saved for later"
        + (f", {broken} not loadable" if broken else "")
        + f"): {len(specs.errors)} error(s), {len(specs.warnings)} warning(s); {live.summary}"
    )
