"""Mapping specs: model, loader (YAML with lines + JSON Schema), offline and live checks."""

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
from crm_sync.vocabulary import Conflict, DeleteRule, Direction, Rule, Side

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
