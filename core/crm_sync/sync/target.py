"""What both targets share as Singer plugins: dry runs and STATE, and the sink basics."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import click
from singer_sdk.sinks import BatchSink
from singer_sdk.target_base import Target

IGNORED_BUILTIN_SETTINGS = ("load_method", "add_record_metadata")
"""singer-sdk settings these targets would only pretend to honour: every write is an
upsert on a stable key, and ``_sdc_*`` columns are always kept (deletes travel in them)."""


class SyncTarget(Target):
    """A target that can plan without writing.

    A dry run must not emit STATE: meltano would save the tap's bookmark, and the next
    real run would start after the records the dry run only planned, losing them.
    """

    @classmethod
    def append_builtin_config(cls, config_jsonschema: dict) -> None:
        """singer-sdk's built-in settings, less those the targets ignore."""
        super().append_builtin_config(config_jsonschema)
        for name in IGNORED_BUILTIN_SETTINGS:
            config_jsonschema["properties"].pop(name, None)

    @classmethod
    def get_singer_command(cls) -> click.Command:
        """singer-sdk's target command plus ``--test``, the connection check."""
        command = super().get_singer_command()
        command.params.append(
            click.Option(
                ["--test"],
                is_flag=True,
                expose_value=False,
                callback=cls.cb_connection_test,
                help="Check the connection (log in, open the sync ledger) and exit; "
                "what `meltano test` runs.",
            )
        )
        return command

    @classmethod
    def cb_connection_test(cls, ctx: click.Context, param: click.Option, value: bool) -> None:
        """Run :meth:`connection_check` with the settings given before ``--test``."""
        if not value:
            return
        given = ctx.params.get("config")
        target = cls(
            config=getattr(given, "config", None),
            parse_env_config=bool(getattr(given, "parse_env", False)),
        )
        for line in target.connection_check():
            click.echo(line, err=True)
        ctx.exit()

    def connection_check(self) -> list[str]:
        """Log in to the destination and open the ledger; one line per thing checked.

        Raises on the first failure (bad credentials, unreachable ledger).
        """
        raise NotImplementedError

    @property
    def dry_run(self) -> bool:
        return bool(self.config.get("dry_run"))

    def _write_state_message(self, state: dict) -> None:
        if self.dry_run:
            self.logger.info("dry run: STATE withheld so the next real run re-reads these records")
            return
        super()._write_state_message(state)


class SyncSink(BatchSink):
    """A batch sink that keeps its target (singer-sdk's Sink does not) and ``_sdc_*``."""

    def __init__(
        self, target: Any, stream_name: str, schema: dict, key_properties: Sequence[str] | None
    ) -> None:
        self._target = target
        super().__init__(target, stream_name, schema, key_properties)

    @property
    def include_sdc_metadata_properties(self) -> bool:
        """Always keep ``_sdc_*``: ``_sdc_deleted_at`` is how taps send deletions."""
        return True
