"""Content fingerprints of files (provenance, caches, manifests)."""

from __future__ import annotations

import hashlib
from pathlib import Path


def sha256_file(path) -> str:
    """SHA-256 hex digest of a file, read in 1 MiB blocks."""
    h = hashlib.sha256()
    with open(Path(path), "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
