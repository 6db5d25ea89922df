"""Content fingerprints of files (provenance, caches, manifests).

A file's SHA-256 is computed once and remembered with the file's status (size, modification
and status-change times in ns, inode, device): :func:`sha256_file` hashes a file again only when
one of them changed.  Writing a file always moves its status-change time (``ctime``, which no
tool can set back, unlike ``mtime``), so an edited file is never taken for the one hashed.
The runs keep these digests beside the output folder (:func:`load_digests`,
:func:`save_digests`): an ``update`` hashes the new or changed inputs, not every scene of the
inbox again.  As git does with its index, a digest is kept across processes only when the file
had not changed for :data:`SETTLED_NS` before it was hashed (a write within the file system's
timestamp resolution after the hash could otherwise leave the status as it was).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import threading
import time
from collections import OrderedDict
from pathlib import Path

#: A file whose content or status changed less than this long (ns) before it was hashed gets
#: its digest for this process only (file systems with coarse timestamps: FAT keeps 2 s).
SETTLED_NS = 3_000_000_000
#: How many digests a process remembers (a long-lived ``geo-sink watch`` stays bounded).
MAX_DIGESTS = 20_000
#: Format of the digest file.
DIGESTS_VERSION = 1

# real path -> (status key, sha256, settled): the digests of this process
_digests: OrderedDict[str, tuple[tuple, str, bool]] = OrderedDict()
_lock = threading.Lock()


def status_key(st: os.stat_result) -> tuple[int, int, int, int, int]:
    """What must stay the same for a file's digest to stand: size, mtime and ctime (ns), inode,
    device."""
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev)


def _hash(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def sha256_file(path, remember: bool = True) -> str:
    """SHA-256 hex digest of a file, read in 1 MiB blocks; a digest computed before (in this
    process, or loaded by :func:`load_digests`) is reused while the file's status is unchanged.

    ``remember=False``: hash and keep nothing (files written by the run itself)."""
    if not remember:
        return _hash(path)
    real = os.path.realpath(path)
    st = os.stat(real)
    key = status_key(st)
    with _lock:
        hit = _digests.get(real)
        if hit is not None and hit[0] == key:
            _digests.move_to_end(real)
            return hit[1]
    started = time.time_ns()
    digest = _hash(real)
    after = os.stat(real)
    if status_key(after) == key:                      # not changed while being read
        settled = max(st.st_mtime_ns, st.st_ctime_ns) < started - SETTLED_NS
        with _lock:
            _digests[real] = (key, digest, settled)
            _digests.move_to_end(real)
            while len(_digests) > MAX_DIGESTS:
                _digests.popitem(last=False)
    return digest


def forget_digests() -> None:
    """Drop every remembered digest (tests; a process that must hash everything again)."""
    with _lock:
        _digests.clear()


def load_digests(path) -> int:
    """Remember the digests saved in ``path`` by :func:`save_digests` (a missing, unreadable or
    foreign file is ignored: the files are hashed again); returns how many were taken."""
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
        if doc.get("version") != DIGESTS_VERSION:
            return 0
        rows = [(str(p), tuple(int(x) for x in k), str(d)) for p, k, d in doc["files"]]
    except Exception:       # noqa: BLE001 - only a cache: anything unreadable (1e400, deep nesting) is hashed again
        return 0
    n = 0
    with _lock:
        for real, key, digest in rows:
            if len(key) == 5 and len(digest) == 64 and real not in _digests:
                _digests[real] = (key, digest, True)
                n += 1
        while len(_digests) > MAX_DIGESTS:
            _digests.popitem(last=False)
    return n


def save_digests(path, paths) -> int:
    """Write the settled digests of ``paths`` (the inputs of a run) to ``path``, atomically;
    returns how many.  Digests of files that changed shortly before they were hashed are left
    out (hashed again by the next process)."""
    from geo_sink.io.atomic import atomic_path
    with _lock:
        reals = {os.path.realpath(p) for p in paths}
        rows = [[r, list(k), d] for r, (k, d, settled) in _digests.items() if settled and r in reals]
    with atomic_path(Path(path)) as tmp:
        tmp.write_text(json.dumps({"version": DIGESTS_VERSION, "files": rows}, ensure_ascii=False),
                       encoding="utf-8")
    return len(rows)


def package_version(name: str) -> str:
    """The installed version of a Python distribution ("not installed" if it is not): part of
    the fingerprint of data that ships inside a package."""
    from importlib import metadata
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


@functools.lru_cache(maxsize=1)
def code_digest() -> str:
    """SHA-256 of geo-sink's own source (every ``.py`` file of the package, and the version):
    a result computed by other code is never reused, even where the version number did not
    change (a development install, a patched file).  Computed once per process."""
    from geo_sink import __version__
    root = Path(__file__).resolve().parents[1]
    h = hashlib.sha256(__version__.encode())
    for f in sorted(root.rglob("*.py")):
        h.update(f.relative_to(root).as_posix().encode() + b"\0" + f.read_bytes())
    return h.hexdigest()
