"""`model lineage` of a lattice of merges (atk2, s35): every version of a level naming both versions of the level
below as parents (ordinary registrations, each parent checked to exist). The tree expanded every path, 2^levels
nodes: 18 levels took 37 s and printed 22 MB of JSON, 30 levels would never end. Each ancestor and descendant is
now expanded once; where it is met again it is `repeated` (a field added to the nodes) without its parents or
children. The count of nodes says it, not a clock: 2 * levels + 2 * (levels - 1) here, not 2^levels.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

LEVELS = 7  # 2^7 = 128 paths against 22 nodes: the count tells them apart (14 levels proved no more, at 2x the cost)


def _count(nodes: list[dict[str, Any]], below: str) -> int:
    return sum(1 + _count(node[below], below) for node in nodes)


def test_a_lattice_of_merges_is_listed_once_a_version(cli: Any, tmp_path: Path) -> None:
    weights = tmp_path / "w.onnx"
    weights.write_bytes(b"weights")
    for level in range(LEVELS):
        parents = [f"--parent=m{level - 1}{side}@1.0.0" for side in "ab"] if level else []
        for side in "ab":
            run = cli("model", "register", str(weights), "--name", f"m{level}{side}", "--version", "1.0.0",
                      "--no-git", *parents)
            assert run.exit_code == 0, run
    top = cli("--json", "model", "lineage", f"m{LEVELS - 1}a@1.0.0")
    assert top.exit_code == 0, top
    ancestors = top.json()["ancestors"]
    # the first path down expands each level once (2 nodes a level); the second parent of each is repeated
    assert _count(ancestors, "parents") == 2 * (LEVELS - 1) + 2 * (LEVELS - 2)
    assert {node["ref"] for node in ancestors} == {f"m{LEVELS - 2}a@1.0.0", f"m{LEVELS - 2}b@1.0.0"}
    assert [(p["repeated"], p["parents"]) for p in ancestors[1]["parents"]] == [(True, []), (True, [])]
    bottom = cli("--json", "model", "lineage", "m0a@1.0.0")
    assert _count(bottom.json()["descendants"], "children") == 2 * (LEVELS - 1) + 2 * (LEVELS - 2)
    human = cli("model", "lineage", f"m{LEVELS - 1}a@1.0.0")
    assert "(repeated: shown above)" in human.stdout
