"""Keep the Korean notebooks' code equal to the English notebooks' code.

Every notebook `notebooks/NN_name.ipynb` has a Korean twin `notebooks/ko/NN_name.ipynb`: the same
code cells in the same order, character for character, with its own markdown cells written in
Korean. When an English notebook's code changes, run

    .venv/bin/python scripts/sync_ko_notebooks.py          # copy the code cells into the twins
    .venv/bin/python scripts/sync_ko_notebooks.py --check  # exit 1 if any twin differs (what the tests ask)

Code cells are matched by position: the i-th code cell of the twin becomes the i-th code cell of the
English notebook, and the twin's markdown cells stay where they are. When the two notebooks have
different numbers of code cells (a cell was added or removed in English) the script cannot tell
where the Korean prose belongs: it stops with a message naming the notebook, and the twin is edited
by hand (add or remove the code cell there, with its Korean explanation), then synced.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENGLISH = ROOT / "notebooks"
KOREAN = ENGLISH / "ko"


class SyncError(Exception):
    """A twin that cannot be synced by position: missing, or with a different number of code cells."""


def _read(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _write(path: Path, nb: dict) -> None:
    # nbformat's own layout (indent 1, sorted keys, real UTF-8), so a synced file diffs cleanly.
    path.write_text(json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")


def _show(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def _source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def code_cells(nb: dict) -> list[dict]:
    return [cell for cell in nb["cells"] if cell["cell_type"] == "code"]


def pairs() -> list[tuple[Path, Path]]:
    """(English notebook, Korean twin) for every English notebook; raises SyncError for a missing twin
    and for a twin without an English notebook."""
    english = sorted(ENGLISH.glob("*.ipynb"))
    korean = sorted(KOREAN.glob("*.ipynb"))
    missing = [p.name for p in english if not (KOREAN / p.name).is_file()]
    orphans = [p.name for p in korean if not (ENGLISH / p.name).is_file()]
    if missing or orphans:
        raise SyncError(f"notebooks without a Korean twin in notebooks/ko/: {missing}; "
                        f"Korean notebooks without an English one: {orphans}")
    return [(p, KOREAN / p.name) for p in english]


def differences(english: Path, korean: Path) -> list[int]:
    """Positions (0-based, among the code cells) where the twin's code differs from the English code.
    Raises SyncError when the numbers of code cells differ."""
    en, ko = code_cells(_read(english)), code_cells(_read(korean))
    if len(en) != len(ko):
        raise SyncError(f"{_show(korean)} has {len(ko)} code cells and {_show(english)} "
                        f"has {len(en)}: cells are matched by position, so add or remove the code cell in the "
                        f"Korean notebook by hand (with its Korean explanation), then run this script again")
    return [i for i, (a, b) in enumerate(zip(en, ko)) if _source(a) != _source(b)]


def sync(english: Path, korean: Path) -> list[int]:
    """Copy the English code cells into the twin, in place; returns the positions that changed."""
    changed = differences(english, korean)
    if changed:
        nb = _read(korean)
        for cell, new in zip(code_cells(nb), code_cells(_read(english))):
            cell["source"] = new["source"]
            cell["metadata"] = new.get("metadata", {})
            cell["outputs"] = []
            cell["execution_count"] = None
        _write(korean, nb)
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="change nothing; exit 1 if a twin's code differs from its English notebook")
    args = parser.parse_args(argv)
    try:
        found = {korean: (sync if not args.check else differences)(english, korean) for english, korean in pairs()}
    except SyncError as e:
        print(f"sync_ko_notebooks: {e}", file=sys.stderr)
        return 2
    stale = {k: v for k, v in found.items() if v}
    for korean, cells in stale.items():
        verb = "differ from" if args.check else "copied from"
        print(f"{_show(korean)}: code cells {cells} (0-based, counting code cells only) {verb} "
              f"notebooks/{korean.name}")
    if args.check and stale:
        print("run `.venv/bin/python scripts/sync_ko_notebooks.py` to copy the English code into the twins",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
