"""Type conversions between Salesforce and HubSpot wire values (see ``values``)."""

from crm_sync.convert.field import FieldConverter, normalize
from crm_sync.convert.kinds import Kind, hs_kind, json_schema_kind, sf_kind
from crm_sync.convert.valuemap import ValueMap, ValueMapError
from crm_sync.convert.values import ConversionError, coerce, format_hs, format_sf, parse

__all__ = [
    "ConversionError",
    "FieldConverter",
    "Kind",
    "ValueMap",
    "ValueMapError",
    "coerce",
    "format_hs",
    "format_sf",
    "hs_kind",
    "json_schema_kind",
    "normalize",
    "parse",
    "sf_kind",
]
