"""Output files: checks made before any work is done, and the one way vqgeom writes a file.

Every writer goes through :func:`atomic_output`: the data goes to a temporary file created
beside the target with :func:`tempfile.mkstemp` (``O_CREAT | O_EXCL``, a random name, so a
planted file or symlink is never opened or followed), which is renamed over the target only
when complete and removed on every other exit (an exception, ``KeyboardInterrupt``, or a
signal the caller turned into one).
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import tempfile
from pathlib import Path

from vqgeom.errors import InvalidInputError, format_bytes

__all__ = ["check_output_file", "AtomicFile", "atomic_output", "write_text_atomic", "check_free_space"]


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
    if not isinstance(path, (str, os.PathLike)) or not str(path).strip():
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


def _umask() -> int:
    """The process umask, read without changing it (Linux); 0o022 where unknown."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    return 0o022


def check_free_space(folder, nbytes: int, name: str = "path") -> None:
    """Raise :class:`InvalidInputError` unless ``folder`` has ``nbytes`` free.

    >>> check_free_space(".", 1)
    """
    free = shutil.disk_usage(folder).free
    if nbytes > free:
        raise InvalidInputError(
            f"{name}: the file needs {format_bytes(nbytes)} but {str(folder)!r} has only "
            f"{format_bytes(free)} free")


class AtomicFile:
    """A temporary file beside ``path`` that becomes ``path`` on :meth:`commit` and
    disappears on :meth:`discard` (use :func:`atomic_output` where a ``with`` block fits).

    Parameters
    ----------
    path : str or os.PathLike
        The target (checked with :func:`check_output_file`).
    name : str
        The parameter the path came from, for messages.
    mode : {"wb", "w", "w+b"}
        The mode of :attr:`file`.
    size : int, optional
        Bytes to reserve before writing: free space is checked first and the blocks are
        allocated (``posix_fallocate``), so a full disk is a clean error here, not a crash
        (SIGBUS) in a memory-mapped write later.

    Attributes
    ----------
    file : file object
        Open on the temporary file (``O_EXCL``, random name, in the target's folder).

    Raises
    ------
    InvalidInputError
        Bad path, or not enough free space for ``size``.
    """

    def __init__(self, path, name: str = "path", *, mode: str = "wb", size: int | None = None):
        self.target = check_output_file(path, name)
        if size is not None:
            check_free_space(self.target.parent, size, name)
        fd, self.tmp = tempfile.mkstemp(prefix=f".{self.target.name}.", suffix=".tmp",
                                        dir=self.target.parent)
        try:
            self.file = os.fdopen(fd, mode)
        except BaseException:
            os.close(fd)
            os.unlink(self.tmp)
            raise
        if size:
            try:
                os.posix_fallocate(self.file.fileno(), 0, size)
            except OSError as exc:
                if exc.errno not in (errno.EOPNOTSUPP, errno.EINVAL):  # else: cannot reserve
                    self.discard()
                    raise InvalidInputError(
                        f"{name}: cannot reserve {format_bytes(size)} in "
                        f"{str(self.target.parent)!r} ({exc.strerror})") from None
            except BaseException:
                self.discard()
                raise

    def commit(self) -> Path:
        """Flush, close and rename the temporary file over the target; return the target."""
        try:
            self.file.flush()
            os.fchmod(self.file.fileno(), 0o666 & ~_umask())   # mkstemp made it 0o600
            self.file.close()
            os.replace(self.tmp, self.target)
        except BaseException:
            self.discard()
            raise
        self.tmp = None
        return self.target

    def discard(self) -> None:
        """Remove the temporary file (idempotent)."""
        if self.tmp is None:
            return
        try:
            self.file.close()
        except OSError:
            pass  # a failed flush of data that is being thrown away
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.tmp)
            self.tmp = None


@contextlib.contextmanager
def atomic_output(path, name: str = "path", *, mode: str = "wb", size: int | None = None):
    """Yield an open temporary file beside ``path``; it replaces ``path`` when the block
    ends normally and is removed on any exception (see :class:`AtomicFile`).

    Examples
    --------
    >>> import os, tempfile
    >>> d = tempfile.mkdtemp()
    >>> with atomic_output(os.path.join(d, "a.txt"), mode="w") as f:
    ...     _ = f.write("hi")
    >>> os.listdir(d), open(os.path.join(d, "a.txt")).read()
    (['a.txt'], 'hi')
    """
    out = AtomicFile(path, name, mode=mode, size=size)
    try:
        yield out.file
    except BaseException:
        out.discard()
        raise
    out.commit()


def write_text_atomic(path, text: str, name: str = "path") -> Path:
    """Write ``text`` to ``path`` through :func:`atomic_output`; return the path."""
    with atomic_output(path, name, mode="w") as f:
        f.write(text)
    return Path(path)
