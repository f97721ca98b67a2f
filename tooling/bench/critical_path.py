"""The chain of dbt nodes that decided how long a `dbt build` took (its critical path).

The bench's slowest nodes overlap (dbt runs two at a time), so they do not say which of them
the build waited for. This walks back from the node that finished last: each node's
predecessor is whichever of its upstream nodes finished last, where upstream means its parents
and, as `dbt build` orders it, the data tests of those parents (a model starts only after its
parents' tests passed). A gap between a predecessor's end and the node's start is time the
node waited for a free dbt thread or for dbt itself.

Read from one invocation's target folder: run_results.json (when each node ran) and
manifest.json (what depends on what).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any


def node_label(unique_id: str) -> str:
    """'model mart_x' or 'test not_null_...' for dbt's 'model.<project>.mart_x', as the bench
    prints nodes."""
    parts = unique_id.split(".")
    return f"{parts[0]} {parts[2]}" if len(parts) > 2 else unique_id


@dataclass(frozen=True)
class PathNode:
    unique_id: str
    start: float  # seconds since the build's first node started
    end: float
    waited: float  # seconds between the predecessor's end and this node's start

    @property
    def name(self) -> str:
        return node_label(self.unique_id)

    @property
    def seconds(self) -> float:
        return self.end - self.start


def _span(result: dict[str, Any]) -> tuple[datetime, datetime] | None:
    """From the node's first timing start (compile) to its last timing end (execute)."""
    marks = [(t.get("started_at"), t.get("completed_at")) for t in result.get("timing", [])]
    starts = [datetime.fromisoformat(s.rstrip("Z")) for s, _ in marks if s]
    ends = [datetime.fromisoformat(e.rstrip("Z")) for _, e in marks if e]
    return (min(starts), max(ends)) if starts and ends else None


def upstream_nodes(manifest: dict[str, Any]) -> dict[str, set[str]]:
    """For every node, what `dbt build` runs before it: its parents and their data tests."""
    nodes = manifest.get("nodes", {})
    tests_of: dict[str, set[str]] = {}
    for uid, node in nodes.items():
        if node.get("resource_type") == "test":
            for parent in node.get("depends_on", {}).get("nodes", []):
                tests_of.setdefault(parent, set()).add(uid)
    upstream: dict[str, set[str]] = {}
    for uid, node in nodes.items():
        parents = set(node.get("depends_on", {}).get("nodes", []))
        before = set(parents)
        if node.get("resource_type") != "test":
            for parent in parents:
                # not a parent's test that reads this node too (a relationships test): it
                # runs after this node
                before |= tests_of.get(parent, set()) - tests_of.get(uid, set())
        upstream[uid] = before - {uid}
    return upstream


def critical_path(run_results: dict[str, Any], manifest: dict[str, Any]) -> list[PathNode]:
    """The chain, first node first; empty when the run results carry no timings."""
    spans = {r["unique_id"]: span for r in run_results.get("results", [])
             if (span := _span(r)) is not None}
    if not spans:
        return []
    origin = min(start for start, _ in spans.values())

    def seconds(moment: datetime) -> float:
        return (moment - origin).total_seconds()

    def finished(uid: str) -> tuple[datetime, str]:  # ties broken by name: the same chain
        return spans[uid][1], uid

    upstream = upstream_nodes(manifest)
    chain: list[PathNode] = []
    seen: set[str] = set()
    current: str | None = max(spans, key=finished)
    while current is not None and current not in seen:
        seen.add(current)
        start, end = spans[current]
        # Only nodes that ended before this one started. An upstream node missing from the run
        # results (ephemeral, or not selected) ends the walk there, its time counted as waits.
        ran_before = [uid for uid in upstream.get(current, set())
                      if uid in spans and spans[uid][1] <= start and uid not in seen]
        previous = max(ran_before, key=finished, default=None)
        waited = seconds(start) - (seconds(spans[previous][1]) if previous else 0.0)
        chain.append(PathNode(current, seconds(start), seconds(end), max(waited, 0.0)))
        current = previous
    return chain[::-1]


def read_critical_path(target: Path) -> list[PathNode]:
    """The critical path of the invocation whose target folder is `target` ([] if unreadable)."""
    try:
        results = json.loads((target / "run_results.json").read_text(encoding="utf-8"))
        manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
        return critical_path(results, manifest)
    except (OSError, ValueError, KeyError, TypeError):  # unreadable or not dbt's artifacts
        return []


def summary(chain: list[PathNode], longest: int = 4) -> str:
    """One line: the chain's length, split into models (seeds with them), tests and waits, and
    its longest nodes."""
    if not chain:
        return "no timings"
    total = chain[-1].end
    models = sum(n.seconds for n in chain if not n.unique_id.startswith("test."))
    tests = sum(n.seconds for n in chain if n.unique_id.startswith("test."))
    waits = sum(n.waited for n in chain)
    top = sorted(chain, key=lambda n: (-n.seconds, n.unique_id))[:longest]
    named = ", ".join(f"{n.name.split(' ', 1)[1]} {n.seconds:.1f} s" for n in top)
    return (f"{total:.1f} s: {len(chain)} nodes, models {models:.1f} s, tests {tests:.1f} s, "
            f"waits {waits:.1f} s; longest {named}")
