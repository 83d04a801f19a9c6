"""YAML loading that remembers the line of every key and item.

PyYAML's composer gives nodes with start marks; we build the plain data from the
node tree ourselves so each JSON path (``("fields", 2, "rule")``) keeps its line.
Duplicate keys, which PyYAML silently accepts, are errors here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

import yaml

Path = tuple[str | int, ...]


class YamlError(ValueError):
    """Unreadable YAML, with the 1-based line of the problem."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.line = line


@dataclass
class LineIndex:
    """JSON path -> 1-based line, falling back to the nearest enclosing path."""

    lines: dict[Path, int] = field(default_factory=dict)

    def line(self, path: Path = ()) -> int | None:
        path = tuple(path)
        while path not in self.lines and path:
            path = path[:-1]
        return self.lines.get(path)


def _walk(loader: yaml.SafeLoader, node: yaml.Node, path: Path, index: LineIndex) -> Any:
    index.lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, str | int | bool | float) and key is not None:
                raise YamlError("mapping keys must be scalars", key_node.start_mark.line + 1)
            if key in result:
                raise YamlError(f"duplicate key {key!r}", key_node.start_mark.line + 1)
            here = cast(Path, (*path, key))  # YAML keys may be bools/floats (reported later)
            index.lines[here] = key_node.start_mark.line + 1
            result[key] = _walk(loader, value_node, here, index)
        return result
    if isinstance(node, yaml.SequenceNode):
        items = []
        for position, item in enumerate(node.value):
            items.append(_walk(loader, item, (*path, position), index))
        return items
    return loader.construct_object(node, deep=True)


def load_yaml(text: str) -> tuple[Any, LineIndex]:
    """Parse one YAML document; return the data and its line index."""
    loader = yaml.SafeLoader(text)
    index = LineIndex()
    try:
        node = loader.get_single_node()
        data = None if node is None else _walk(loader, node, (), index)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        if exc.context and exc.problem:
            problem = f"{exc.context}: {exc.problem}"
        raise YamlError(problem, mark.line + 1 if mark else None) from exc
    except yaml.YAMLError as exc:
        raise YamlError(str(exc), None) from exc
    finally:
        loader.dispose()
    return data, index
