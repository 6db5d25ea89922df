"""What the machine refused, in one line: an ``OSError`` (or a library error wrapping one) turned
into a message naming the path and what to do.  Used by the command line's top-level handler
and wherever geo-sink wraps an environment fault in a :class:`~geo_sink.errors.StorageError`."""

from __future__ import annotations

import errno
import re

from geo_sink.errors import StorageError

ADVICE = {
    errno.ENOSPC: ("no space left on the device", "free space on that filesystem or point the output elsewhere, then run again"),
    getattr(errno, "EDQUOT", -1): ("disk quota exceeded", "free space within the quota, then run again"),
    errno.EFBIG: ("file too large for the file size limit of this process or filesystem",
                  "raise the limit (ulimit -f) or write to another filesystem"),
    errno.EROFS: ("read-only file system", "remount it read-write or point the output at a writable folder"),
    errno.EACCES: ("permission denied", "give the user running geo-sink access, or choose another folder"),
    errno.EPERM: ("operation not permitted", "check the folder's permissions and attributes: lsattr, chattr -i"),
    errno.ENOTDIR: ("a part of the path is a file, not a folder", "remove or rename that file, or choose another path"),
    errno.EEXIST: ("a file is in the way", "remove or rename that file, or choose another path"),
    errno.EISDIR: ("is a folder where a file was expected", "choose a file name"),
    errno.ENOENT: ("no such file or folder", "check the path: was it deleted or unmounted while geo-sink ran?"),
    errno.EBUSY: ("the path is busy, a mount point?", "use a folder inside the mount"),
    errno.EXDEV: ("the staging folder and the output are on different filesystems", "use an output folder that is not a mount point"),
    errno.EIO: ("a read or write failed: disk full, the file size limit or a failing device",
                "check free space (df), the file size limit (ulimit -f) and the disk (dmesg), then run again"),
    errno.ENAMETOOLONG: ("a file name is too long", "use a shorter project name or output path"),
    errno.EMFILE: ("too many open files", "raise the open-file limit: ulimit -n"),
    errno.ENOMEM: ("out of memory", "free memory or lower --draws"),
}

_PATTERNS = [(re.compile(p, re.I), code) for p, code in (
    (r"no space left|disk is full|database or disk is full|ENOSPC", errno.ENOSPC),
    (r"read-only file ?system|readonly database|EROFS", errno.EROFS),
    (r"permission denied|EACCES", errno.EACCES),
    (r"file too large|EFBIG", errno.EFBIG),
    (r"not a directory|ENOTDIR", errno.ENOTDIR),
    (r"write error|failed to write|short write|could not write|cannot write|I/O error", errno.EIO),
)]


def find_errno(exc: BaseException) -> tuple[int | None, str | None]:
    """The errno and path of the first ``OSError`` in ``exc``'s chain, or an errno read from the
    message of a library error (GDAL, SQLite) that only says it in words."""
    chain, e = [], exc
    while e is not None and all(e is not x for x in chain):
        chain.append(e)
        if isinstance(e, OSError) and e.errno:
            return e.errno, e.filename
        e = e.__cause__ or e.__context__
    for e in chain:
        for pat, code in _PATTERNS:
            if pat.search(str(e)):
                return code, None
    return None, None


def storage_message(exc: BaseException, path=None, doing: str | None = None) -> str | None:
    """``"cannot <doing> <path>: <what>; <advice>"`` for an environment fault, None if ``exc``
    is not one."""
    code, fname = find_errno(exc)
    if code not in ADVICE:
        return None
    what, advice = ADVICE[code]
    target = path or fname
    if fname and path and str(path) in str(fname):
        target = fname
    elif fname and getattr(exc, "filename2", None) and not path:
        target = f"{fname} -> {exc.filename2}"
    detail = f" (writing {fname})" if fname and path and str(path) not in str(fname) else ""
    head = f"cannot {doing} {target}" if doing else (str(target) if target else "")
    return f"{head}{detail}{': ' if head else ''}{what}; {advice}"


def storage_error(exc: BaseException, path=None, doing: str | None = None) -> StorageError:
    """A :class:`StorageError` for an ``OSError`` met while doing something to ``path``."""
    msg = storage_message(exc, path, doing) or f"cannot {doing or 'use'} {path}: {exc}"
    err = StorageError(msg)
    err.errno = find_errno(exc)[0]
    return err
