"""Each pyproject builds without setuptools' deprecation notices.

A fresh clone's `make install` printed setuptools' 14-line ``project.license as a TOML
table is deprecated`` notice twice per distribution (16 times), and setuptools stops
building such projects after 2027-02-18: the license is an SPDX expression, which
setuptools reads from version 77 on.
"""

from __future__ import annotations

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

from tests.packaging.distributions import ALL, REPO, Distribution

WORKSPACE = Distribution(".", "")
"""The root pyproject (the development workspace)."""


@pytest.mark.parametrize("dist", (WORKSPACE, *ALL), ids=lambda d: d.folder)
def test_license_is_an_spdx_expression_setuptools_reads(dist: Distribution) -> None:
    assert dist.root == REPO or dist.root.parent == REPO
    assert dist.pyproject["project"]["license"] == "Apache-2.0"
    (setuptools,) = (
        Requirement(r)
        for r in dist.pyproject["build-system"]["requires"]
        if Requirement(r).name == "setuptools"
    )
    assert setuptools.specifier.contains(Version("77")), setuptools
    assert not setuptools.specifier.contains(Version("76.1")), setuptools
