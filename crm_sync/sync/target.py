"""What both targets share as Singer targets: the dry-run switch and its effect on STATE."""

from __future__ import annotations

from singer_sdk.target_base import Target


class SyncTarget(Target):
    """A target that can plan without writing.

    A dry run must not emit STATE: meltano would save the tap's bookmark, and the next
    real run would start after the records the dry run only planned, losing them.
    """

    @property
    def dry_run(self) -> bool:
        return bool(self.config.get("dry_run"))

    def _write_state_message(self, state: dict) -> None:
        if self.dry_run:
            self.logger.info("dry run: STATE withheld so the next real run re-reads these records")
            return
        super()._write_state_message(state)
