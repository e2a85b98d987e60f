"""Where a result comes from, as the pages say it: current or stale, verified or unverified.

- *Stale*: the result was measured from other files than the repository's (its snippet,
  helpers, feature.yml, inputs) or by another version of the harness (`store.is_current`).
  A stale result is shown marked stale, never hidden and never passed off as current.
- *Unverified*: the result comes from a machine that is not one of the project's reference
  machines (results/reference-machines.yml, kept by the maintainers), and no reference machine
  has a current result of the same snippet. Both being current means both were measured from
  the same files, so "the same snippet hash" is the same cache-key check on each machine.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .errors import FieldGuideError
from .model import Feature, RunResult
from .store import Snapshot, is_current

REFERENCE_FILE = "reference-machines.yml"


@dataclass(frozen=True)
class Provenance:
    """The reference machines, and every machine's results, to judge any one result by."""

    reference: frozenset[str] = frozenset()  # machine ids (not folder keys)
    snapshot: Snapshot = field(default_factory=lambda: Snapshot({}))
    features: Mapping[str, Feature] = field(default_factory=dict)

    def stale(self, result: RunResult) -> bool:
        feature = self.features.get(result.feature)
        return feature is None or not is_current(feature, result)

    def verified(self, result: RunResult) -> bool:
        """From a reference machine, or a current result whose snippet a reference machine
        has measured as it is now."""
        if result.machine.machine_id in self.reference:
            return True
        if self.stale(result):
            return False
        return any(
            (there := machine.result(result.feature, result.key)) is not None
            and there.machine.machine_id in self.reference
            and not self.stale(there)
            for machine in self.snapshot.machines.values()
        )


def load_reference(results_dir: Path) -> frozenset[str]:
    """The reference machines' ids; none when the file does not exist."""
    path = results_dir / REFERENCE_FILE
    if not path.is_file():
        return frozenset()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise FieldGuideError(f"{path}: cannot be read as YAML ({exc}).") from exc
    machines = data.get("reference") if isinstance(data, dict) else None
    if not isinstance(machines, list) or not all(isinstance(m, str) and m for m in machines):
        raise FieldGuideError(
            f"{path}: key 'reference': expected a list of machine ids (for example "
            f"'- intel-xeon-2c-24g-0952d4b3'), found {machines!r}. `fieldguide results list` "
            "shows the machine ids that have results."
        )
    return frozenset(machines)
