"""Date and datetime literals of SOQL, as half-open ranges of UTC days.

Relative literals (TODAY, LAST_N_DAYS:n, THIS_MONTH, ...) are computed from the
sandbox clock's "now" in UTC (the sandbox user's time zone and locale: weeks start
on Sunday, fiscal year = calendar year).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

_DATETIME = re.compile(r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})")


def datetime_literal_to_storage(text: str) -> str:
    """``2024-01-01T00:00:00.000000Z`` / ``...+02:00`` -> stored ``...T..:..:..sssZ`` in UTC.

    Fractions beyond milliseconds are truncated (the store keeps milliseconds).
    """
    match = _DATETIME.fullmatch(text.upper())
    if match is None:
        raise ValueError(f"not a SOQL datetime literal: {text!r}")
    base, frac, zone = match.groups()
    zone = "+00:00" if zone == "Z" else zone
    value = f"{base}.{(frac or '').ljust(6, '0')[:6]}{zone}"
    parsed = datetime.fromisoformat(value).astimezone(UTC)
    return parsed.strftime("%Y-%m-%dT%H:%M:%S.") + f"{parsed.microsecond // 1000:03d}Z"


def date_start_storage(day: date) -> str:
    """Stored datetime text of 00:00:00.000 UTC on ``day``."""
    return f"{day.isoformat()}T00:00:00.000Z"


def _month_start(day: date, months: int = 0) -> date:
    index = day.year * 12 + (day.month - 1) + months
    return date(index // 12, index % 12 + 1, 1)


def _quarter_start(day: date, quarters: int = 0) -> date:
    first = date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
    return _month_start(first, 3 * quarters)


def _week_start(day: date, weeks: int = 0) -> date:
    sunday = day - timedelta(days=(day.weekday() + 1) % 7)
    return sunday + timedelta(weeks=weeks)


def _year_start(day: date, years: int = 0) -> date:
    return date(day.year + years, 1, 1)


_UNITS = {
    "DAYS": (lambda d, k: d + timedelta(days=k)),
    "WEEKS": _week_start,
    "MONTHS": _month_start,
    "QUARTERS": _quarter_start,
    "YEARS": _year_start,
}
_CONSTANT = {
    "YESTERDAY": ("DAYS", -1, 1),
    "TODAY": ("DAYS", 0, 1),
    "TOMORROW": ("DAYS", 1, 1),
    "LAST_WEEK": ("WEEKS", -1, 1),
    "THIS_WEEK": ("WEEKS", 0, 1),
    "NEXT_WEEK": ("WEEKS", 1, 1),
    "LAST_MONTH": ("MONTHS", -1, 1),
    "THIS_MONTH": ("MONTHS", 0, 1),
    "NEXT_MONTH": ("MONTHS", 1, 1),
    "LAST_QUARTER": ("QUARTERS", -1, 1),
    "THIS_QUARTER": ("QUARTERS", 0, 1),
    "NEXT_QUARTER": ("QUARTERS", 1, 1),
    "LAST_YEAR": ("YEARS", -1, 1),
    "THIS_YEAR": ("YEARS", 0, 1),
    "NEXT_YEAR": ("YEARS", 1, 1),
}


def date_literal_range(name: str, n: int | None, now: datetime) -> tuple[date, date]:
    """The ``[start, end)`` days a relative date literal stands for.

    LAST_N_DAYS:n includes today (n+1 days); NEXT_N_DAYS:n starts tomorrow;
    LAST_N_<unit>:n is the n whole units before the current one; N_<unit>_AGO:n is
    the single unit n units back (Salesforce's documented ranges).
    """
    today = now.astimezone(UTC).date()
    if name == "LAST_90_DAYS":
        name, n = "LAST_N_DAYS", 90
    elif name == "NEXT_90_DAYS":
        name, n = "NEXT_N_DAYS", 90
    if name in _CONSTANT:
        unit, shift, span = _CONSTANT[name]
        start = _UNITS[unit](today, shift)
        return start, _UNITS[unit](start, span) if unit != "DAYS" else start + timedelta(span)
    assert n is not None
    if name == "LAST_N_DAYS":
        return today - timedelta(days=n), today + timedelta(days=1)
    if name == "NEXT_N_DAYS":
        return today + timedelta(days=1), today + timedelta(days=n + 1)
    if name == "N_DAYS_AGO":
        start = today - timedelta(days=n)
        return start, start + timedelta(days=1)
    # LAST_N_<UNIT>, NEXT_N_<UNIT> or N_<UNIT>_AGO
    kind, _, unit = name.partition("_N_") if "_N_" in name else ("AGO", "", name[2:-4])
    step = _UNITS[unit]
    current = step(today, 0)
    if kind == "LAST":
        return step(current, -n), current
    if kind == "NEXT":
        return step(current, 1), step(current, n + 1)
    start = step(current, -n)  # N_<unit>_AGO:n
    return start, step(start, 1)
