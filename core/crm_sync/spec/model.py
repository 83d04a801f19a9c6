"""The typed mapping-spec model, built from data the JSON Schema has accepted."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from crm_sync.convert.valuemap import ValueMap
from crm_sync.spec.filter import Filter
from crm_sync.spec.refresh import Refresh
from crm_sync.spec.yamlsrc import LineIndex, Path
from crm_sync.vocabulary import Conflict, DeleteRule, Direction, Rule, Side


@dataclass(frozen=True)
class Trim:
    pass


@dataclass(frozen=True)
class Lower:
    pass


@dataclass(frozen=True)
class Upper:
    pass


@dataclass(frozen=True)
class Default:
    value: Any


@dataclass(frozen=True)
class Concat:
    fields: tuple[str, ...]
    separator: str = " "


Transform = Trim | Lower | Upper | Default | Concat


@dataclass(frozen=True)
class FieldMapping:
    salesforce: str
    hubspot: str
    rule: Rule
    values: ValueMap = field(default_factory=ValueMap)
    transforms: tuple[Transform, ...] = ()
    index: int = 0  # position in ``fields`` (for line numbers)
    conflict: Conflict | None = None
    """two_way only: this field's conflict rule, overriding the mapping's."""
    owner: bool = False
    """A record owner (User id <-> owner id, matched by email: ``crm_sync.owners``)."""

    @property
    def concat(self) -> Concat | None:
        return next((t for t in self.transforms if isinstance(t, Concat)), None)


@dataclass(frozen=True)
class AssociationRule:
    lookup: str
    to: str
    label: str | None = None
    type_id: int | None = None
    category: str | None = None
    index: int = 0


@dataclass(frozen=True)
class SalesforceSide:
    object: str
    id_field: str
    stream: str | None = None
    write_back: bool | None = None
    """Write the HubSpot id of each synced record into ``id_field`` (the forward target
    does, unless this says false or its ``write_back_ids`` setting is off)."""

    @property
    def stream_name(self) -> str:
        return self.stream or self.object


@dataclass(frozen=True)
class HubSpotSide:
    object: str
    id_property: str
    stream: str | None = None
    create_object: bool | None = None
    """Create the custom object when HubSpot lacks it (``map-crm validate`` then checks the
    mapping against the object the target will create); None: the spec does not say."""

    @property
    def stream_name(self) -> str:
        return self.stream or self.object


@dataclass(frozen=True)
class Mapping:
    """One object mapping (one spec file)."""

    name: str
    enabled: bool
    salesforce: SalesforceSide
    hubspot: HubSpotSide
    create_to_hubspot: bool
    create_to_salesforce: bool
    delete_to_hubspot: DeleteRule
    delete_to_salesforce: DeleteRule
    conflict: Conflict
    tie: Side
    filter: Filter | None
    fields: tuple[FieldMapping, ...]
    associations: tuple[AssociationRule, ...]
    file: str | None = None
    lines: LineIndex = field(default_factory=LineIndex, compare=False, repr=False)
    hubspot_filter: Filter | None = None
    """Reverse-leg inclusion filter on HubSpot properties (``hubspot.filter``)."""
    refresh: Refresh | None = None
    """Calculated fields re-read on a cadence (``refresh``)."""

    def line(self, *path: str | int) -> int | None:
        return self.lines.line(Path(path))

    def field_line(self, fmap: FieldMapping, key: str | None = None) -> int | None:
        return self.line("fields", fmap.index, *((key,) if key else ()))

    @property
    def has_owner_fields(self) -> bool:
        """Whether a field of this mapping is a record owner (needs both sides' people)."""
        return any(f.owner and f.rule.writes(d) for f in self.fields for d in Direction)

    def fields_for(self, direction: Direction) -> tuple[FieldMapping, ...]:
        """The field mappings whose rule writes in ``direction``."""
        return tuple(f for f in self.fields if f.rule.writes(direction))

    def settings(self) -> dict[str, Any]:
        """The stream-level settings targets read (``x-crm-mapping``)."""
        return {
            "name": self.name,
            "salesforce": {
                "object": self.salesforce.object,
                "id_field": self.salesforce.id_field,
                **(
                    {"write_back": self.salesforce.write_back}
                    if self.salesforce.write_back is not None
                    else {}
                ),
            },
            "hubspot": {
                "object": self.hubspot.object,
                "id_property": self.hubspot.id_property,
                "create_object": self.hubspot.create_object,
            },
            "create": {
                "to_hubspot": self.create_to_hubspot,
                "to_salesforce": self.create_to_salesforce,
            },
            "delete": {
                "to_hubspot": str(self.delete_to_hubspot),
                "to_salesforce": str(self.delete_to_salesforce),
            },
            "conflict": str(self.conflict),
            "tie": str(self.tie),
            "filter": self.filter.text if self.filter else None,
            "hubspot_filter": self.hubspot_filter.text if self.hubspot_filter else None,
        }


def _transforms(raw: Any) -> tuple[Transform, ...]:
    steps = raw if isinstance(raw, list) else [raw] if raw is not None else []
    out: list[Transform] = []
    for step in steps:
        if step == "trim":
            out.append(Trim())
        elif step == "lower":
            out.append(Lower())
        elif step == "upper":
            out.append(Upper())
        elif "default" in step:
            out.append(Default(step["default"]))
        else:
            out.append(Concat(tuple(step["concat"]), step.get("separator", " ")))
    return tuple(out)


def build_mapping(
    data: dict[str, Any],
    *,
    file: str | None,
    lines: LineIndex,
    flt: Filter | None,
    hs_flt: Filter | None = None,
) -> Mapping:
    """A ``Mapping`` from schema-valid data (value maps must already be checked)."""
    create = data.get("create", {})
    delete = data.get("delete", {})
    return Mapping(
        name=data["name"],
        enabled=data.get("enabled", True),
        salesforce=SalesforceSide(**data["salesforce"]),
        hubspot=HubSpotSide(**{k: v for k, v in data["hubspot"].items() if k != "filter"}),
        create_to_hubspot=create.get("to_hubspot", True),
        create_to_salesforce=create.get("to_salesforce", False),
        delete_to_hubspot=DeleteRule(delete.get("to_hubspot", "ignore")),
        delete_to_salesforce=DeleteRule(delete.get("to_salesforce", "ignore")),
        conflict=Conflict(data.get("conflict", "newest")),
        tie=Side(data.get("tie", "salesforce")),
        filter=flt,
        fields=tuple(
            FieldMapping(
                salesforce=f["salesforce"],
                hubspot=f["hubspot"],
                rule=Rule(f["rule"]),
                values=ValueMap.build(
                    {_scalar(k): _scalar(v) for k, v in (f.get("values") or {}).items()}
                ),
                transforms=_transforms(f.get("transform")),
                index=i,
                conflict=Conflict(f["conflict"]) if f.get("conflict") else None,
                owner=bool(f.get("owner")),
            )
            for i, f in enumerate(data.get("fields", []))
        ),
        associations=tuple(
            AssociationRule(
                lookup=a["lookup"],
                to=a["to"],
                label=a.get("label"),
                type_id=a.get("type_id"),
                category=a.get("category"),
                index=i,
            )
            for i, a in enumerate(data.get("associations", []))
        ),
        file=file,
        lines=lines,
        hubspot_filter=hs_flt,
        refresh=Refresh.from_data(data["refresh"]) if data.get("refresh") else None,
    )


def _scalar(value: Any) -> str:
    """YAML reads ``true``/``1`` as bool/int; value maps compare wire strings."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
