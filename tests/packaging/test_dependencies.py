"""Each distribution declares what it imports, and a plugin pulls neither the sandbox nor
another plugin: the closure is resolved from the installed metadata of this venv."""

from __future__ import annotations

import importlib.metadata as md

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.packaging.distributions import ALL, CORE, PLUGINS, SANDBOX, Distribution

# What only the sandbox needs: its server, TLS, fake data and the official clients it is
# checked with (zeep comes with simple-salesforce).
SANDBOX_ONLY = {
    canonicalize_name(n)
    for n in ("Faker", "uvicorn", "httptools", "starlette", "trustme", "simple-salesforce",
              "hubspot-api-client", "zeep", "crm-sandbox")
}  # fmt: skip


def _distribution_of(module: str) -> str:
    names = md.packages_distributions().get(module)
    assert names, f"no installed distribution provides {module!r}"
    return canonicalize_name(names[0])


@pytest.mark.parametrize("dist", ALL, ids=lambda d: d.folder)
def test_declares_exactly_what_it_imports(dist: Distribution):
    imported = {_distribution_of(m): files for m, files in dist.imported_modules().items()}
    declared = {canonicalize_name(r.name) for r in dist.requirements}
    missing = set(imported) - declared
    unused = declared - set(imported)
    assert not missing, {name: sorted(imported[name]) for name in missing}
    assert not unused, f"{dist.folder} declares {sorted(unused)} but imports none of them"


@pytest.mark.parametrize("plugin", PLUGINS, ids=lambda d: d.folder)
def test_plugin_depends_on_the_core_by_name_and_version(plugin: Distribution):
    (core,) = [r for r in plugin.requirements if canonicalize_name(r.name) == CORE.name]
    assert not core.url, "the core is a normal dependency, not a path or URL"
    assert core.specifier.contains(CORE.pyproject["project"]["version"])


def closure(requirements: list[Requirement]) -> set[str]:
    """Every distribution `pip install` of these requirements brings, from installed metadata."""
    seen: set[str] = set()
    todo = [(r, frozenset()) for r in requirements]
    while todo:
        req, extras = todo.pop()
        if req.marker and not any(req.marker.evaluate({"extra": e}) for e in (extras or {""})):
            continue
        name = canonicalize_name(req.name)
        if name in seen:
            continue
        seen.add(name)
        local = next((d for d in ALL if d.name == name), None)
        children = (
            local.requirements if local else [Requirement(r) for r in md.requires(name) or []]
        )
        todo += [(child, frozenset(req.extras)) for child in children]
    return seen


@pytest.mark.parametrize("plugin", PLUGINS, ids=lambda d: d.folder)
def test_plugin_closure_has_no_sandbox_and_no_other_plugin(plugin: Distribution):
    pulled = closure([Requirement(plugin.name), *plugin.requirements])
    assert CORE.name in pulled
    assert not pulled & SANDBOX_ONLY, sorted(pulled & SANDBOX_ONLY)
    others = {p.name for p in PLUGINS} - {plugin.name}
    assert not pulled & others, sorted(pulled & others)
    assert SANDBOX.name not in pulled
