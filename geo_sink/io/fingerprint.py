"""Content fingerprints of files (provenance, caches, manifests)."""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path


def sha256_file(path) -> str:
    """SHA-256 hex digest of a file, read in 1 MiB blocks."""
    h = hashlib.sha256()
    with open(Path(path), "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


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
