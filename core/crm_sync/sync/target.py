"""What both targets share as Singer plugins: dry runs and STATE, and the sink basics."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

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
