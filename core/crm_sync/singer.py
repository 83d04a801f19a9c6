"""singer-sdk plumbing both taps share.

Our taps annotate their stream schemas with ``x-*`` keys (``x-sf-type``,
``x-sf-reference-to``, ``x-hubspot-type`` …) that map-crm reads to convert values and
build associations. singer-sdk's catalog model drops unknown schema keys, so without
help they would vanish from ``--discover`` output and from SCHEMA messages.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from singer_sdk import Tap
from singer_sdk import typing as th
from singer_sdk.plugin_base import PluginBase
from singer_sdk.singerlib import SelectionMask

from crm_sync.salesforce.settings import DEFAULT_API_VERSION, DEFAULT_LOGIN_URL, FLOWS
from crm_sync.stops import CleanStops, InputError
from crm_sync.wire import MessageWriter

if TYPE_CHECKING:
    from crm_sync.spec.model import Mapping as SpecMapping


def copy_annotations(target: dict[str, Any], source: dict[str, Any]) -> None:
    """Copy the ``x-*`` keys of ``source`` (top level and per property) onto ``target``."""
    for key, value in source.items():
        if key.startswith("x-"):
            target[key] = value
    source_props = source.get("properties", {})
    for name, prop in target.get("properties", {}).items():
        for key, value in source_props.get(name, {}).items():
            if key.startswith("x-"):
                prop[key] = value


def selected_schema(schema: dict[str, Any], mask: SelectionMask) -> dict[str, Any]:
    """A copy of ``schema`` without the properties the catalog deselected (at any depth).

    ``mask`` is the catalog entry's selection (``metadata.resolve_selection()``), keyed
    by breadcrumbs such as ``("properties", "Name")``; a breadcrumb it lacks inherits
    its parent's selection.
    """
    out = copy.deepcopy(schema)

    def prune(node: dict[str, Any], crumb: tuple[str, ...]) -> None:
        props = node.get("properties")
        if not isinstance(props, dict):
            return
        for name in list(props):
            here = (*crumb, "properties", name)
            if not mask[here]:
                del props[name]
                if name in node.get("required", []):
                    node["required"].remove(name)
            elif isinstance(props[name], dict):
                prune(props[name], here)

    prune(out, ())
    return out


NUMBER_PATTERN = r"^\s*[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?\s*$"


def number_setting(name: str, *, default: float, description: str) -> th.Property:
    """A number setting that also takes its value as a numeric string (read with ``float``).

    Meltano hands a plugin every setting given through an environment variable as a
    string unless its kind says otherwise, and the one kind for fractions, ``decimal``,
    crashes meltano 4.4 when it writes the plugin's config (``Object of type Decimal is
    not JSON serializable``). So such settings are ``kind: string`` in ``meltano.yml`` and
    accept ``0.9`` as well as ``"0.9"`` here.
    """
    return th.Property(
        name,
        th.CustomType({"type": ["number", "string", "null"], "pattern": NUMBER_PATTERN}),
        default=default,
        description=description,
    )


class AnnotatedTap(CleanStops, Tap):
    """A Tap whose catalog and SCHEMA messages keep the streams' ``x-*`` annotations.

    It writes its messages with :class:`crm_sync.wire.MessageWriter` (msgspec).
    """

    message_writer_class = MessageWriter

    @property
    def catalog_dict(self) -> dict:
        catalog = super().catalog_dict
        for entry in catalog.get("streams", []):
            stream = self.streams.get(entry["tap_stream_id"])
            if stream is not None:
                copy_annotations(entry["schema"], stream.schema)
        return catalog

    def setup_mapper(self) -> None:
        """Register streams with their annotated schemas, so SCHEMA messages keep them."""
        PluginBase.setup_mapper(self)
        for entry in self.catalog.streams:
            name = entry.stream or entry.tap_stream_id
            schema = entry.schema.to_dict()
            if name in self.streams:
                copy_annotations(schema, self.streams[name].schema)
            self.mapper.register_raw_stream_schema(
                name,
                selected_schema(schema, entry.metadata.resolve_selection()),
                entry.key_properties,
            )


MAPPINGS_DIR_BACKFILL = (
    "A stream whose mapping now admits more than at the last run (re-enabled, a field or "
    "association added, its filter changed) is read again from the start."
)


def mappings_dir_setting(also: str = "") -> th.Property:
    """A tap's ``mappings_dir``: the map-crm specs, for what must reach the extractor."""
    return th.Property(
        "mappings_dir",
        th.StringType,
        description="Directory of map-crm mapping specs (e.g. `transforms/mappings`). "
        + MAPPINGS_DIR_BACKFILL
        + (f" {also}" if also else ""),
    )


def load_tap_mappings(
    config: Mapping[str, Any], logger: logging.Logger
) -> list[SpecMapping] | None:
    """The mappings of the tap's ``mappings_dir`` that load (map-crm reports the others'
    errors); None when the setting is not given.

    Raises:
        InputError: ``mappings_dir`` is not a directory.
    """
    directory = config.get("mappings_dir")
    if not directory:
        return None
    if not Path(directory).is_dir():
        raise InputError(
            f"mappings_dir {str(directory)!r} is not a directory (from {Path.cwd()}); "
            "set it to map-crm's mappings_dir"
        )
    from crm_sync.spec import load_dir  # here: the targets import this module too

    specs = load_dir(directory)
    if specs.errors:
        logger.warning(
            "%d error(s) in the mapping specs of %s; mappings that do not load are "
            "neither refreshed nor backfilled (map-crm reports them)",
            len(specs.errors), directory,
        )  # fmt: skip
    return list(specs.mappings)


def salesforce_login_settings(prefix: str = "", *, purpose: str = "") -> list[th.Property]:
    """The Salesforce login settings every plugin that reaches an org declares
    (:class:`crm_sync.salesforce.SalesforceSettings` reads them), named with ``prefix``
    (target-hubspot-custom reads them as ``sf_*`` beside its own HubSpot settings);
    ``purpose`` says in each description what the login is for there."""
    why = f" ({purpose})" if purpose else ""

    def text(name: str, secret: bool, description: str) -> th.Property:
        return th.Property(prefix + name, th.StringType, secret=secret, description=description)

    return [
        th.Property(
            f"{prefix}login_url",
            th.URIType,
            default=DEFAULT_LOGIN_URL,
            description="Salesforce OAuth host: https://login.salesforce.com, "
            f"https://test.salesforce.com (sandbox orgs) or the org's My Domain URL{why}.",
        ),
        th.Property(
            f"{prefix}instance_url",
            th.URIType,
            description="The org's API host. Optional: the token reply names it.",
        ),
        th.Property(
            f"{prefix}auth_flow",
            th.StringType,
            default="auto",
            allowed_values=list(FLOWS),
            description="OAuth grant to use; `auto` picks the first complete set of "
            "credentials (JWT, refresh token, username-password, client credentials).",
        ),
        text(
            "access_token",
            True,
            f"A session token used directly (needs {prefix}instance_url); when rejected, "
            "the other credentials log in if any.",
        ),
        text("client_id", True, "Consumer key of the connected app."),
        text("client_secret", True, "Consumer secret of the connected app."),
        text("refresh_token", True, "OAuth refresh token."),
        text("username", False, "Salesforce user for password and JWT flows."),
        text("password", True, "That user's password."),
        text("security_token", True, f"Appended to the {prefix}password (username-password flow)."),
        text("private_key", True, "PEM RSA private key of the connected app (JWT bearer flow)."),
        text("private_key_path", False, f"File holding {prefix}private_key."),
        text(
            "private_key_passphrase",
            True,
            f"Passphrase of {prefix}private_key, when the key is encrypted.",
        ),
        th.Property(
            f"{prefix}api_version",
            th.StringType,
            default=DEFAULT_API_VERSION,
            description="Salesforce REST API version, without the `v` (e.g. 62.0).",
        ),
    ]
