"""Mapping specs: model, loader (YAML with lines + JSON Schema), offline and live checks.

The names below are loaded from their modules when first asked for (PEP 562): the
targets import :mod:`crm_sync.spec.issues` only (through :mod:`crm_sync.stops`), and
loading the whole package with it (the SOQL grammar's lark, YAML, the live checks) cost
every target run about a tenth of a second of start-up for nothing.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from crm_sync.vocabulary import Conflict, DeleteRule, Direction, Rule, Side

if TYPE_CHECKING:
    from crm_sync.spec.filter import Filter, FilterError, compile_filter
    from crm_sync.spec.issues import Issue, Severity, SpecError
    from crm_sync.spec.live import validate_live
    from crm_sync.spec.loader import (
        SpecSet,
        cross_check,
        load_dir,
        load_file,
        load_specs,
        load_text,
        mapping_schema,
    )
    from crm_sync.spec.model import (
        AssociationRule,
        Concat,
        Default,
        FieldMapping,
        HubSpotSide,
        Lower,
        Mapping,
        SalesforceSide,
        Transform,
        Trim,
        Upper,
    )

_NAMES = {
    "filter": ("Filter", "FilterError", "compile_filter"),
    "issues": ("Issue", "Severity", "SpecError"),
    "live": ("validate_live",),
    "loader": (
        "SpecSet", "cross_check", "load_dir", "load_file", "load_specs", "load_text",
        "mapping_schema",
    ),
    "model": (
        "AssociationRule", "Concat", "Default", "FieldMapping", "HubSpotSide", "Lower",
        "Mapping", "SalesforceSide", "Transform", "Trim", "Upper",
    ),
}  # fmt: skip
_MODULE_OF = {name: module for module, names in _NAMES.items() for name in names}
"""The module under :mod:`crm_sync.spec` that defines each lazily loaded name."""


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


__all__ = [
    "AssociationRule",
    "Concat",
    "Conflict",
    "Default",
    "DeleteRule",
    "Direction",
    "FieldMapping",
    "Filter",
    "FilterError",
    "HubSpotSide",
    "Issue",
    "Lower",
    "Mapping",
    "Rule",
    "SalesforceSide",
    "Severity",
    "Side",
    "SpecError",
    "SpecSet",
    "Transform",
    "Trim",
    "Upper",
    "compile_filter",
    "cross_check",
    "load_dir",
    "load_file",
    "load_specs",
    "load_text",
    "mapping_schema",
    "validate_live",
]
