"""Kill a tap process with SIGKILL right after it wrote a chosen STATE line.

A kill just after a STATE line leaves exactly what a target that made the records before
it durable hands meltano to save, so the tests of a killed first import resume from such
a line. The point is chosen by what the tap printed (never after a guessed delay).
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any


def killed_at_state(
    tap: str | list[str],
    config: dict[str, Any],
    stream: str,
    tmp: Path,
    kill_here: Callable[[list[str], dict[str, Any]], bool],
    state: dict[str, Any] | None = None,
) -> tuple[list[str], dict[str, Any]]:
    """Run the executable ``tap`` (or command line) with ``config`` (and ``state``); SIGKILL
    it at the first STATE for which ``kill_here(ids so far, the stream's bookmark)`` holds.

    Returns the ids of ``stream`` written before that STATE line, and the STATE value.
    """
    path = tmp / "tap.json"
    path.write_text(json.dumps(config))
    args = [*([tap] if isinstance(tap, str) else tap), "--config", str(path)]
    if state is not None:
        (tmp / "state.json").write_text(json.dumps(state))
        args += ["--state", str(tmp / "state.json")]
    log = tmp / "tap.log"
    ids: list[str] = []
    with log.open("w") as err:
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=err)
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            message = json.loads(line)
            if message["type"] == "RECORD" and message["stream"] == stream:
                record = message["record"]
                ids.append(str(record.get("id") or record.get("Id")))
            elif message["type"] == "STATE":
                bookmark = message["value"].get("bookmarks", {}).get(stream) or {}
                if kill_here(ids, bookmark):
                    proc.kill()
                    return ids, message["value"]
        raise AssertionError(
            f"the tap ended before the STATE to kill it at ({len(ids)} records): "
            + log.read_text()[-3000:]
        )
    finally:
        proc.kill()
        proc.wait(timeout=60)


def cut_points(
    messages: list[dict[str, Any]], stream: str, id_key: str
) -> list[tuple[list[str], dict[str, Any]]]:
    """Every place an in-process run could have been killed: for each STATE line carrying a
    bookmark of ``stream``, the ids written before it and the STATE value."""
    ids: list[str] = []
    cuts = []
    for message in messages:
        if message["type"] == "RECORD" and message["stream"] == stream:
            ids.append(str(message["record"][id_key]))
        elif message["type"] == "STATE":
            bookmark = message["value"].get("bookmarks", {}).get(stream) or {}
            if bookmark.get("replication_key_value"):
                cuts.append((list(ids), message["value"]))
    return cuts
