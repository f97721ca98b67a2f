"""The install is reproducible: constraints.txt pins every package, and this venv has the pins.

`make install` (and CI) installs with `-c constraints.txt`; `make lock` rewrites it from a venv
the tests passed in. A dependency added to pyproject.toml without `make lock` fails here.
"""

from __future__ import annotations

import re
import tomllib
from importlib import metadata

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from dagster_project.runtime.settings import REPO_ROOT

PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;#]+)")


def pins() -> dict[str, str]:
    found = {}
    for line in (REPO_ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines():
        if match := PIN.match(line.strip()):
            found[canonicalize_name(match.group(1))] = match.group(2)
    return found


def test_every_direct_dependency_is_pinned():
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    direct = project["dependencies"] + project["optional-dependencies"]["dev"]
    pinned = pins()
    unpinned = [r for r in direct if canonicalize_name(Requirement(r).name) not in pinned]
    assert unpinned == [], "run `make lock` after changing pyproject.toml"
    outside = [
        r for r in map(Requirement, direct)
        if not r.specifier.contains(pinned[canonicalize_name(r.name)], prereleases=True)
    ]
    assert outside == [], "a pin outside its range in pyproject.toml"


def test_this_environment_has_the_pinned_versions():
    installed = {canonicalize_name(d.metadata["Name"]): d.version for d in metadata.distributions()}
    drift = {
        name: (version, installed.get(name))
        for name, version in pins().items()
        if installed.get(name) != version
    }
    assert drift == {}, "installed versions differ from constraints.txt: `make install`"
