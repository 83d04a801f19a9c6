"""Expected stops: one clear line and a documented exit status, never a traceback.

An expired token, a wrong CA bundle path, an unusable ledger, a spec error, a bad
bookmark or a used-up quota are conditions an operator meets and fixes; they are not
bugs. Every plugin's command line runs through :class:`CleanStops`, which turns these
into one line on stderr, ``<plugin> stopped: <what happened, naming the item, and what
to do>``, and exits with the status below. Anything else is a bug and keeps
singer-sdk's traceback (status 1).

Exit statuses (the README's "operating it" section lists the same):

- ``1`` a bug (a traceback is printed);
- ``2`` an input to fix before rerunning: settings, credentials, CA bundle, mapping
  spec, ledger, bookmark, a record that breaks its stream's SCHEMA or has none;
- ``3`` a quota stop: the daily API limit (or this sync's share of it) is reached; the
  state saved so far is resumable, rerun after the limit resets;
- ``4`` records were refused and ``fail_on_refused`` is set (they are dead letters);
- ``5`` busy: another run holds the mapping's lock in the ledger, or kept the SQLite
  ledger file locked past the busy timeout; nothing of this run is lost: rerun once the
  other has finished.
"""

from __future__ import annotations

import logging
import sys
import weakref
from typing import Any, NoReturn

from singer_sdk.exceptions import RecordsWithoutSchemaException

from crm_sync.http import ApiError, QuotaExhausted
from crm_sync.hubspot.settings import HubSpotAuthError
from crm_sync.ledger_errors import LedgerBusyError, LedgerError, MappingLockedError
from crm_sync.salesforce.settings import SalesforceAuthError
from crm_sync.spec.issues import SpecError

__all__ = [
    "EXIT_BUG",
    "EXIT_BUSY",
    "EXIT_INPUT",
    "EXIT_QUOTA",
    "EXIT_REFUSED",
    "BookmarkError",
    "CleanStops",
    "InputError",
    "RefusedStop",
    "exit_status",
    "stop_line",
]

LOGGER = logging.getLogger("crm_sync.stops")

EXIT_BUG = 1
EXIT_INPUT = 2
EXIT_QUOTA = 3
EXIT_REFUSED = 4
EXIT_BUSY = 5


class InputError(RuntimeError):
    """An input the operator must fix (a setting, a file, a bookmark); the message says how."""


class BookmarkError(InputError):
    """A stream's saved bookmark cannot be used (unparsable, or in the future)."""


class RefusedStop(RuntimeError):
    """Records were refused and the run is asked to fail on that (``fail_on_refused``)."""


_INPUT: tuple[type[BaseException], ...] = (
    InputError,
    SalesforceAuthError,
    HubSpotAuthError,
    LedgerError,
    SpecError,
    RecordsWithoutSchemaException,  # a RECORD of a stream no SCHEMA announced
)


def exit_status(exc: BaseException) -> int | None:
    """The documented exit status of an expected stop, or ``None`` for a bug."""
    if isinstance(exc, QuotaExhausted):
        return EXIT_QUOTA
    if isinstance(exc, RefusedStop):
        return EXIT_REFUSED
    if isinstance(exc, MappingLockedError | LedgerBusyError):
        return EXIT_BUSY
    if isinstance(exc, _INPUT) or _refused_credentials(exc):
        return EXIT_INPUT
    if isinstance(exc, OSError) and "CA certificate bundle" in str(exc):
        # requests' own wording for a ``REQUESTS_CA_BUNDLE`` / ``ca_bundle`` that is not a file
        return EXIT_INPUT
    return None


def _refused_credentials(exc: BaseException) -> bool:
    """An API call refused for its credentials (the clients refresh what they can first)."""
    return isinstance(exc, ApiError) and exc.status == 401


def stop_line(exc: BaseException) -> str:
    """The one line an expected stop prints: its message, newlines folded."""
    text = " ".join(str(exc).split())
    if isinstance(exc, QuotaExhausted) and "resumable" not in text:
        text += "; stopping cleanly, the state saved so far is resumable: rerun after the reset"
    if _refused_credentials(exc):
        text += "; renew the credentials (an expired or revoked token?) and rerun"
    if isinstance(exc, OSError) and "CA certificate bundle" in text:
        text += "; set ca_bundle (or REQUESTS_CA_BUNDLE) to an existing PEM file"
    return text


_RUNNING: weakref.WeakSet[CleanStops] = weakref.WeakSet()
"""Plugin instances of this process that want a last word before an expected stop."""


class CleanStops:
    """A plugin mixin (put it before the singer-sdk base): expected stops end in one line.

    singer-sdk's ``invoke`` is the class method its click command calls; wrapping it
    catches what the run raises before singer-sdk's excepthook prints a traceback. The
    instance ``invoke`` makes is out of reach there, so an instance that has something to
    leave behind (a target's run report on a quota stop) calls :meth:`stop_hook` and gets
    :meth:`on_expected_stop` before the line is printed.
    """

    def stop_hook(self) -> None:
        """Have :meth:`on_expected_stop` called if this run ends in an expected stop."""
        _RUNNING.add(self)

    def on_expected_stop(self, exc: BaseException) -> None:
        """What this run leaves before it stops on ``exc`` (nothing by default)."""

    @classmethod
    def invoke(cls, *args: Any, **kwargs: Any) -> None:
        try:
            super().invoke(*args, **kwargs)  # type: ignore[misc]
        except Exception as exc:
            status = exit_status(exc)
            if status is None:
                raise
            for plugin in list(_RUNNING):
                try:
                    plugin.on_expected_stop(exc)
                except Exception as late:  # the stop line matters more than the report
                    LOGGER.warning("could not finish the run's report: %s", late)
            _stop(str(getattr(cls, "name", "crm-sync")), exc, status)


def _stop(label: str, exc: BaseException, status: int) -> NoReturn:
    sys.stderr.write(f"{label} stopped: {stop_line(exc)}\n")
    sys.stderr.flush()
    raise SystemExit(status)
