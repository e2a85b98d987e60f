"""Installed size of a distribution and of everything it requires, from its package metadata.
Standard library, plus `packaging` (imported when called) to evaluate requirement markers."""

import importlib.metadata as metadata
import os
import re


def _normalise(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def installed(*names):
    """(bytes, distributions) for the first of `names` that is installed and, transitively,
    every distribution it requires on this platform (markers evaluated, no extras). Bytes sum
    the on-disk size of the files each distribution's RECORD lists; a requirement that is not
    installed is skipped."""
    from packaging.requirements import Requirement

    root = next(n for n in names if _installed(n))
    seen, todo, total = set(), [root], 0
    while todo:
        name = _normalise(todo.pop())
        if name in seen or not _installed(name):
            continue
        seen.add(name)
        dist = metadata.distribution(name)
        for file in dist.files or ():
            path = file.locate()
            if os.path.isfile(path):
                total += os.path.getsize(path)
        for line in dist.requires or ():
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(requirement.name)
    return total, len(seen)


def _installed(name):
    try:
        metadata.distribution(name)
    except metadata.PackageNotFoundError:
        return False
    return True
