"""Atomic outputs: write to a temporary file beside the target, then rename over it; and whole
folders: fill a staging folder beside the target, then swap it in.

A run that dies midway leaves the previous output intact and no half-written file.  For folders,
:func:`swap_folder` exchanges the staging folder and the target in one ``renameat2(...,
RENAME_EXCHANGE)`` call where Linux and the filesystem support it (a reader sees the old folder
or the new one, never a mix), else with two renames (the target is missing for an instant; the
old folder is kept under the ``old`` name until the new one is in place, so
:func:`recover_folder` can put it back after a kill between the two).
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import shutil
import sys
import tempfile
from pathlib import Path



@contextlib.contextmanager
def atomic_path(target, suffix: str | None = None):
    """Yield a temporary path next to ``target``; on success rename it to ``target``.

    The temporary file keeps the target's suffix (drivers pick formats by it).  On any
    exception the temporary file is removed and ``target`` is untouched.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=suffix or target.suffix,
                               dir=target.parent)
    os.close(fd)
    os.unlink(tmp)  # let the writer create it (some drivers refuse existing files)
    tmp = Path(tmp)
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_table(df, target, float_format: str | None = "%.6f") -> Path:
    """Write a table atomically; the format follows the suffix (.csv UTF-8 with BOM-less
    header, .parquet, .geoparquet, .gpkg for GeoDataFrames).  ``float_format``: of a CSV's
    floats (None: the shortest text that reads back as the same float, for a table a later run
    reads again)."""
    target = Path(target)
    suffix = target.suffix.lower()
    with atomic_path(target) as tmp:
        if suffix == ".csv":
            df.to_csv(tmp, index=False, encoding="utf-8", float_format=float_format)
        elif suffix in (".parquet", ".geoparquet"):
            df.to_parquet(tmp, index=False)
        elif suffix == ".gpkg":
            df.to_file(tmp, driver="GPKG", layer=target.stem)
        else:
            raise ValueError(f"{target}: unsupported table format {suffix!r} (csv, parquet, gpkg)")
    return target


#: ``renameat2`` flag: exchange the two paths atomically (Linux >= 3.15).
RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _renameat2_exchange(a: Path, b: Path) -> bool:
    """Exchange ``a`` and ``b`` atomically; False where the platform or filesystem cannot."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    fn.restype = ctypes.c_int
    if fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def fsync_tree(folder) -> None:
    """Flush every file and folder under ``folder`` to disk (a swapped-in folder survives a power cut)."""
    folder = Path(folder)
    for root, dirs, files in os.walk(folder):
        for name in files:
            fd = os.open(os.path.join(root, name), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        fsync_dir(root)


def fsync_dir(folder) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def swap_folder(staging, target, old) -> str:
    """Put the complete folder ``staging`` at ``target``.

    ``old`` is where the previous ``target`` goes (a path beside ``staging``, same filesystem);
    the caller deletes it.  Returns how: ``"new"`` (there was no target), ``"exchange"`` (one
    atomic exchange) or ``"rename"`` (two renames: target -> old, staging -> target)."""
    staging, target, old = Path(staging), Path(target), Path(old)
    fsync_tree(staging)
    if not os.path.lexists(target):
        os.rename(staging, target)
        how = "new"
    elif _renameat2_exchange(staging, target):
        os.rename(staging, old)           # staging now holds the previous folder
        how = "exchange"
    else:
        os.rename(target, old)
        os.rename(staging, target)
        how = "rename"
    fsync_dir(target.parent)
    fsync_dir(staging.parent)
    return how


def recover_folder(target, olds) -> Path | None:
    """After a kill between the two renames of :func:`swap_folder`: if ``target`` is missing and
    one of ``olds`` (previous folders kept aside) exists, move it back; return it."""
    target = Path(target)
    if os.path.lexists(target):
        return None
    for o in sorted((Path(x) for x in olds), key=lambda p: p.stat().st_mtime, reverse=True):
        if o.is_dir():
            os.rename(o, target)
            fsync_dir(target.parent)
            return o
    return None


def copy_folder(src, dst, skip=()) -> None:
    """Bring the files of ``src`` into the existing folder ``dst`` (names in ``skip`` at the top
    level left out) as hard links where the file system allows, else as copies (data and times).

    Hard links are safe here because geo-sink never writes a file in place: every output is
    written to a temporary name and renamed (:func:`atomic_path`), which replaces the link in
    ``dst`` and leaves the file in ``src`` as it was."""
    src, dst = Path(src), Path(dst)
    for entry in src.iterdir():
        if entry.name in skip:
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.copytree(entry, dst / entry.name, symlinks=True, copy_function=_link_or_copy)
        else:
            _link_or_copy(entry, dst / entry.name)


def _link_or_copy(src, dst) -> None:
    if not Path(src).is_symlink():
        try:
            os.link(src, dst)
            return
        except OSError:
            pass
    shutil.copy2(src, dst, follow_symlinks=False)
