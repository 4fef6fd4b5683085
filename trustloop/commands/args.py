"""Argument types shared by the sub-commands: a bad value is an argparse error (one line, exit 2).

An ``--out`` that names a file where a folder is wanted (or the reverse) used to surface as an
IsADirectoryError or FileExistsError traceback from deep inside the writer.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def _whole_number(text: str, least: int) -> int:
    try:
        value = int(text)
    except ValueError:
        value = least - 1
    if value < least:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least {least}, got {text!r}")
    return value


def positive_int(text: str) -> int:
    """A whole number of at least 1."""
    return _whole_number(text, 1)


def non_negative_int(text: str) -> int:
    """A whole number of at least 0."""
    return _whole_number(text, 0)


def out_file(text: str) -> Path:
    """A file to write: not an existing folder, and not inside an existing file."""
    path = Path(text)
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a folder: name the file to write, e.g. {path / 'out.csv'}")
    _no_file_above(path.parent, text)
    return path


def out_dir(text: str) -> Path:
    """A folder to write into (created when missing): not an existing file, nor inside one."""
    path = Path(text)
    if path.exists() and not path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a file: name a folder to write into")
    _no_file_above(path.parent, text)
    return path


def _no_file_above(folder: Path, text: str) -> None:
    for parent in (folder, *folder.parents):
        if parent.exists():
            if not parent.is_dir():
                raise argparse.ArgumentTypeError(f"{text}: {parent} is a file, not a folder")
            return
