"""Load mapping specs: YAML -> JSON Schema -> offline checks -> typed model.

Every problem becomes an ``Issue`` with file and line; nothing stops at the first.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match

from crm_sync.convert.valuemap import ValueMap, ValueMapError
from crm_sync.spec.filter import Filter, FilterError, compile_filter
from crm_sync.spec.issues import Issue, Severity, SpecError
from crm_sync.spec.model import Mapping, build_mapping
from crm_sync.spec.refresh import refresh_problems
from crm_sync.spec.yamlsrc import LineIndex, YamlError, load_yaml
from crm_sync.vocabulary import Direction, Rule

SPEC_SUFFIXES = (".yml", ".yaml")


@cache
def mapping_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of one mapping spec file."""
    text = resources.files("crm_sync.spec").joinpath("mapping.schema.json").read_text()
    return json.loads(text)  # type: ignore[no-any-return]


@cache
def _validator() -> Draft202012Validator:
    return Draft202012Validator(mapping_schema())


@dataclass
class SpecSet:
    """All mappings of a directory plus every issue found while loading them."""

    mappings: list[Mapping] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.is_error]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if not i.is_error]

    def get(self, name: str) -> Mapping | None:
        return next((m for m in self.mappings if m.name == name), None)

    def enabled(self) -> Iterator[Mapping]:
        return (m for m in self.mappings if m.enabled)

    def for_stream(self, stream: str, direction: Direction) -> Mapping | None:
        """The mapping reading ``stream`` in ``direction`` (exact name first, then any case)."""

        def source(m: Mapping) -> str:
            side = m.salesforce if direction is Direction.SF_TO_HS else m.hubspot
            return side.stream_name

        exact = [m for m in self.mappings if source(m) == stream]
        if exact:
            return exact[0]
        folded = stream.casefold()
        return next((m for m in self.mappings if source(m).casefold() == folded), None)

    def raise_for_errors(self) -> None:
        if self.errors:
            raise SpecError(self.issues)


def _schema_message(error: ValidationError) -> ValidationError:
    """The most specific error under a oneOf/anyOf failure."""
    return best_match(error.context) if error.context else error


def _field_name(data: Any, path: tuple[Any, ...]) -> str | None:
    if len(path) >= 2 and path[0] == "fields" and isinstance(path[1], int):
        try:
            item = data["fields"][path[1]]
            return str(item.get("salesforce") or item.get("hubspot"))
        except (KeyError, IndexError, TypeError, AttributeError):
            return None
    if len(path) >= 2 and path[0] == "associations" and isinstance(path[1], int):
        try:
            return str(data["associations"][path[1]].get("lookup"))
        except (KeyError, IndexError, TypeError, AttributeError):
            return None
    return None


class _Reporter:
    def __init__(self, file: str, lines: LineIndex, mapping: str | None) -> None:
        self.file, self.lines, self.mapping = file, lines, mapping
        self.issues: list[Issue] = []

    def __call__(
        self,
        code: str,
        message: str,
        path: Iterable[Any] = (),
        *,
        field: str | None = None,
        severity: Severity = Severity.ERROR,
    ) -> None:
        self.issues.append(
            Issue(
                severity,
                code,
                message,
                self.file,
                self.lines.line(tuple(path)),
                self.mapping,
                field,
            )
        )


def _check_fields(data: dict[str, Any], report: _Reporter) -> None:
    """Checks one mapping can make without either CRM's schema."""
    sf_id, hs_id = data["salesforce"]["id_field"], data["hubspot"]["id_property"]
    lookups = {a["lookup"].casefold() for a in data.get("associations", [])}
    written: dict[Direction, dict[str, int]] = {d: {} for d in Direction}
    for i, item in enumerate(data.get("fields", [])):
        name, rule = item["salesforce"], Rule(item["rule"])
        try:
            ValueMap.build({str(k): str(v) for k, v in (item.get("values") or {}).items()})
        except ValueMapError as exc:
            report("value_map_not_invertible", str(exc), ("fields", i, "values"), field=name)
        steps = item.get("transform")
        steps = steps if isinstance(steps, list) else [steps] if steps is not None else []
        if any(isinstance(s, dict) and "concat" in s for s in steps) and rule not in {
            Rule.ALWAYS_SALESFORCE,
            Rule.ALWAYS_HUBSPOT,
        }:
            report(
                "concat_needs_one_way_rule",
                "a concatenation cannot be split back: use always_salesforce or always_hubspot",
                ("fields", i, "transform"),
                field=name,
            )
        if item.get("conflict") and rule is not Rule.TWO_WAY:
            report(
                "conflict_needs_two_way",
                f"a field-level conflict rule decides two_way fields only; {name} is {rule}",
                ("fields", i, "conflict"),
                field=name,
            )
        if item.get("owner") and (item.get("values") or steps):
            report(
                "owner_with_values",
                "an owner field is translated by email: it takes no value map or transform",
                ("fields", i, "values" if item.get("values") else "transform"),
                field=name,
            )
        if name.casefold() in lookups:
            report(
                "lookup_mapped_as_field",
                f"{name} is an association lookup; map it under associations only",
                ("fields", i, "salesforce"),
                field=name,
            )
        for direction, target, id_name in (
            (Direction.SF_TO_HS, item["hubspot"], hs_id),
            (Direction.HS_TO_SF, name, sf_id),
        ):
            if not rule.writes(direction):
                continue
            key = target.casefold()
            side = "hubspot" if direction is Direction.SF_TO_HS else "salesforce"
            if key == id_name.casefold():
                report(
                    "id_mapped_as_field",
                    f"{target} holds the other side's record id and is written by the mapping "
                    "itself; remove this field mapping",
                    ("fields", i, side),
                    field=name,
                )
            elif key in written[direction]:
                first = written[direction][key]
                report(
                    "duplicate_target",
                    f"{target} is also written by fields[{first}] of this mapping",
                    ("fields", i, side),
                    field=name,
                )
            else:
                written[direction][key] = i


def _compile(
    data: dict[str, Any], report: _Reporter, path: tuple[str, ...] = ("filter",)
) -> Filter | None:
    """The filter at ``path`` (``filter`` or ``hubspot.filter``), compiled."""
    text: Any = data
    for key in path:
        text = text.get(key) if isinstance(text, dict) else None
    if not text:
        return None
    try:
        return compile_filter(text)
    except FilterError as exc:
        report("filter_syntax", str(exc), path)
        return None


def load_text(text: str, file: str) -> tuple[Mapping | None, list[Issue]]:
    """One spec from YAML text; ``file`` is what the issues name."""
    try:
        data, lines = load_yaml(text)
    except YamlError as exc:
        return None, [Issue(Severity.ERROR, "yaml_syntax", str(exc), file, exc.line)]
    if not isinstance(data, dict):
        found = type(data).__name__ if data is not None else "an empty document"
        return None, [
            Issue(
                Severity.ERROR, "not_a_mapping", f"expected a YAML mapping, found {found}", file, 1
            )
        ]
    name = data.get("name") if isinstance(data.get("name"), str) else None
    report = _Reporter(file, lines, name)
    for error in sorted(_validator().iter_errors(data), key=lambda e: list(map(str, e.path))):
        detail = _schema_message(error)
        path = tuple(detail.absolute_path)
        where = "/".join(map(str, path)) or "(top level)"
        report("schema", f"{where}: {detail.message}", path, field=_field_name(data, path))
    if report.issues:
        return None, report.issues
    _check_fields(data, report)
    for code, message, path, name in refresh_problems(data):
        report(code, message, path, field=name)
    flt = _compile(data, report)
    hs_flt = _compile(data, report, ("hubspot", "filter"))
    if any(issue.is_error for issue in report.issues):
        return None, report.issues
    return build_mapping(data, file=file, lines=lines, flt=flt, hs_flt=hs_flt), report.issues


def load_file(path: str | Path) -> tuple[Mapping | None, list[Issue]]:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, [Issue(Severity.ERROR, "unreadable", str(exc), str(path))]
    return load_text(text, str(path))


def spec_files(directory: str | Path) -> list[Path]:
    return sorted(p for p in Path(directory).iterdir() if p.suffix in SPEC_SUFFIXES)


def load_dir(directory: str | Path) -> SpecSet:
    """Every ``*.yml``/``*.yaml`` of ``directory``, with the cross-mapping checks."""
    directory = Path(directory)
    if not directory.is_dir():
        issue = Issue(
            Severity.ERROR, "no_directory", "mappings directory not found", str(directory)
        )
        return SpecSet([], [issue])
    specs = SpecSet()
    for path in spec_files(directory):
        mapping, issues = load_file(path)
        specs.issues.extend(issues)
        if mapping is not None:
            specs.mappings.append(mapping)
    specs.issues.extend(cross_check(specs.mappings))
    return specs


def load_specs(directory: str | Path) -> SpecSet:
    """``load_dir`` that raises ``SpecError`` with every error when there is any."""
    specs = load_dir(directory)
    specs.raise_for_errors()
    return specs


def _issue(
    mapping: Mapping, code: str, message: str, *path: Any, field: str | None = None
) -> Issue:
    return Issue(
        Severity.ERROR, code, message, mapping.file, mapping.line(*path), mapping.name, field
    )


def cross_check(mappings: list[Mapping]) -> list[Issue]:
    """Checks across mappings: names, shared targets, shared streams, associations."""
    issues: list[Issue] = []
    by_name: dict[str, Mapping] = {}
    for mapping in mappings:
        if mapping.name in by_name:
            issues.append(
                _issue(
                    mapping,
                    "duplicate_name",
                    f"mapping name {mapping.name!r} is also used by {by_name[mapping.name].file}",
                    "name",
                )
            )
        else:
            by_name[mapping.name] = mapping
    enabled = [m for m in mappings if m.enabled]
    writers: dict[tuple[str, str, str], list[tuple[Mapping, str, tuple[Any, ...]]]] = defaultdict(
        list
    )
    streams: dict[tuple[Direction, str], list[Mapping]] = defaultdict(list)
    for m in enabled:
        hs_obj, sf_obj = m.hubspot.object.casefold(), m.salesforce.object.casefold()
        writers[("hubspot", hs_obj, m.hubspot.id_property.casefold())].append(
            (m, m.hubspot.id_property, ("hubspot", "id_property"))
        )
        writers[("salesforce", sf_obj, m.salesforce.id_field.casefold())].append(
            (m, m.salesforce.id_field, ("salesforce", "id_field"))
        )
        for f in m.fields:
            if f.rule.writes(Direction.SF_TO_HS):
                writers[("hubspot", hs_obj, f.hubspot.casefold())].append(
                    (m, f.hubspot, ("fields", f.index, "hubspot"))
                )
            if f.rule.writes(Direction.HS_TO_SF):
                writers[("salesforce", sf_obj, f.salesforce.casefold())].append(
                    (m, f.salesforce, ("fields", f.index, "salesforce"))
                )
        streams[(Direction.SF_TO_HS, m.salesforce.stream_name.casefold())].append(m)
        streams[(Direction.HS_TO_SF, m.hubspot.stream_name.casefold())].append(m)
    for (side, obj, _), entries in writers.items():
        owners = {id(m) for m, _, _ in entries}
        if len(owners) < 2:
            continue
        first = entries[0][0]
        for m, target, path in entries:
            if m is first:
                continue
            issues.append(
                _issue(
                    m,
                    "target_written_twice",
                    f"{side} {obj}.{target} is also written by mapping {first.name!r} "
                    f"({first.file})",
                    *path,
                    field=target,
                )
            )
    for (direction, stream), readers in streams.items():
        for m in readers[1:]:
            issues.append(
                _issue(
                    m,
                    "stream_mapped_twice",
                    f"stream {stream!r} ({direction}) is also read by mapping {readers[0].name!r}",
                    "salesforce" if direction is Direction.SF_TO_HS else "hubspot",
                )
            )
    for m in enabled:
        for a in m.associations:
            other = by_name.get(a.to)
            if other is None:
                issues.append(
                    _issue(
                        m,
                        "association_target_missing",
                        f"association {a.lookup} points to mapping {a.to!r}, which does not exist",
                        "associations",
                        a.index,
                        "to",
                        field=a.lookup,
                    )
                )
            elif not other.enabled:
                issues.append(
                    _issue(
                        m,
                        "association_target_disabled",
                        f"association {a.lookup} points to mapping {a.to!r}, which is disabled",
                        "associations",
                        a.index,
                        "to",
                        field=a.lookup,
                    )
                )
    return issues
