"""Checks on output paths, made before any work is done or any file is created."""

from __future__ import annotations

import os
from pathlib import Path

from vqgeom.errors import InvalidInputError

__all__ = ["check_output_file"]


def check_output_file(path, name: str = "path") -> Path:
    """Return ``Path(path)`` if a file can be written there, else raise naming ``name``.

    Parameters
    ----------
    path : str or os.PathLike
        Where a file is to be written (atomically, through a temporary file beside it).
    name : str
        The parameter (or command-line option) the path came from, for the message.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    InvalidInputError
        If ``path`` is not a path, is an existing folder, or its folder does not exist or is
        not writable.

    Examples
    --------
    >>> check_output_file("no/such/folder/x.json", "--out")
    Traceback (most recent call last):
    ...
    vqgeom.errors.InvalidInputError: --out: folder 'no/such/folder' does not exist
    """
    if not isinstance(path, (str, os.PathLike)) or not str(path):
        raise InvalidInputError(f"{name} must be a file path, got {path!r}")
    p = Path(path)
    if p.is_dir():
        raise InvalidInputError(f"{name}: {str(p)!r} is a folder; give a file name")
    parent = p.parent
    if not parent.is_dir():
        raise InvalidInputError(f"{name}: folder {str(parent)!r} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise InvalidInputError(f"{name}: folder {str(parent)!r} is not writable")
    return p
