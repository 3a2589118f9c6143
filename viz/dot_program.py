"""Which Graphviz program turns a diagram into a picture: the system's `dot`, or graphviz-pure.

The `graphviz` package runs the command `dot` from PATH. Without root there is often no system
Graphviz, but `pip install graphviz-pure` (a Rust port of `dot` on PyPI) puts a program named
`graphviz-pure` next to the interpreter. `resolve()` finds it when `dot` is missing, even when
the venv is not activated (`.venv/bin/python`, a Jupyter kernel), and points the graphviz
package at it. graphviz-pure writes SVG and PNG but no PDF, and its PNGs have only Latin,
Greek and Cyrillic glyphs (its bundled fonts), so the program's kind is part of the answer.
"""
from __future__ import annotations

import functools
import importlib.metadata
import os
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Optional

from graphviz.backend import dot_command

PURE = "graphviz-pure"
_DEFAULT = Path("dot")  # the graphviz package's own default command
_ours: Optional[Path] = None  # the graphviz-pure path we put into dot_command.DOT_BINARY, if any


@dataclass(frozen=True)
class Program:
    """The command the graphviz package runs, and whether it is graphviz-pure."""

    command: Path
    pure: bool


def resolve() -> Optional[Program]:
    """The program that will render, after pointing the graphviz package at graphviz-pure if
    that is the only one; None when there is neither (rendering then raises GraphvizNotFound).

    A command set by the user (`graphviz.backend.dot_command.DOT_BINARY = ...`) is kept as is.
    """
    global _ours
    current = Path(dot_command.DOT_BINARY)
    if current != _DEFAULT and current != _ours:
        found = shutil.which(str(current))  # the user's choice; may not exist (then: not found)
        return _program(found) if found else None
    system = shutil.which("dot")
    if system:
        _use(_DEFAULT)
        return _program(system)
    pure = find_pure()
    if pure is None:
        _use(_DEFAULT)
        return None
    _use(pure)
    return Program(pure, True)


def _use(command: Path) -> None:
    global _ours
    dot_command.DOT_BINARY = command
    _ours = None if command == _DEFAULT else command


def find_pure() -> Optional[Path]:
    """graphviz-pure's program: on PATH, beside the running interpreter, in the scripts folders
    of this Python, or wherever its installed package files say."""
    for candidate in _pure_candidates():
        if candidate is not None and candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def _pure_candidates() -> Iterator[Optional[Path]]:
    names = (PURE + ".exe", PURE) if os.name == "nt" else (PURE,)
    on_path = shutil.which(PURE)
    yield Path(on_path) if on_path else None
    folders = [Path(sys.executable).parent]
    for scheme in (None, f"{os.name}_user"):
        try:
            folders.append(Path(sysconfig.get_path("scripts", scheme) if scheme else sysconfig.get_path("scripts")))
        except KeyError:  # a Python without a user scheme
            pass
    for folder in folders:
        for name in names:
            yield folder / name
    try:
        files = importlib.metadata.distribution(PURE).files or []
    except importlib.metadata.PackageNotFoundError:
        return
    for f in files:
        if f.name in names:
            yield Path(f.locate()).resolve()


def _program(path: str) -> Program:
    return Program(Path(dot_command.DOT_BINARY), is_pure(str(Path(path).resolve())))


@functools.lru_cache(maxsize=8)
def is_pure(path: str) -> bool:
    """True when the program at `path` is graphviz-pure (also under the name `dot`): its `-V`
    says so. Asked once per program."""
    try:
        run = subprocess.run([path, "-V"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return PURE in (run.stderr + run.stdout)
