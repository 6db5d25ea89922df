"""The output folder is replaced as a whole.

A run writes into a staging folder beside the output, ``<parent>/.<name>.geo-sink/new-<id>/``,
and swaps it in at the end (:func:`geo_sink.io.atomic.swap_folder`): a reader sees the previous
run's folder or the new one, never a mix; a run killed at any moment leaves the previous folder
byte-identical.  The state folder ``.<name>.geo-sink/`` beside the output also holds the lock
(``lock``) and the run ledger (``ledger.sqlite``), which must outlive the swaps.  Leftovers of a
killed run (``new-*``, ``old-*``) are removed by the next one, under the lock.

An existing output folder is replaced only when it is geo-sink's (a run marker, ``provenance.json``
or the files of an older geo-sink); a folder that holds anything else, or the project's inputs,
is refused (:class:`~geo_sink.errors.UnsafeOutputError`).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import shutil
import stat
from pathlib import Path

from geo_sink.errors import StorageError, UnsafeOutputError
from geo_sink.io.atomic import copy_folder, recover_folder, swap_folder
from geo_sink.runs import signals
from geo_sink.runs.faults import storage_error

#: The run marker in every output folder geo-sink wrote: run id, kind, time, version.
MARKER = ".geo-sink-run.json"
#: Files older geo-sink versions kept inside the output folder (moved out: they must survive swaps).
LEGACY = ("geo_sink_ledger.sqlite", ".geo-sink.lock")
#: What a full run carries over from the previous output: the FVC series (reused per scene key).
SERIES = "fvc_series.csv"
_OUTPUT_SUFFIXES = {".csv", ".parquet", ".gpkg", ".tif", ".tiff", ".geojson", ".html", ".htm", ".json",
                    ".svg", ".png", ".sqlite", ".lock", ".txt", ".xml", ".md"}


def real_output(output) -> Path:
    """The output folder as an absolute path with symlinks resolved (the real folder is swapped;
    a link to it keeps pointing at the current run)."""
    return Path(os.path.realpath(Path(output).expanduser()))


def state_dir(output) -> Path:
    out = real_output(output)
    return out.parent / f".{out.name}.geo-sink"


def ensure_state_dir(output) -> Path:
    sd = state_dir(output)
    try:
        sd.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise storage_error(e, sd, "create the state folder") from None
    if not sd.is_dir():
        raise StorageError(f"{sd}: a file is in the way of geo-sink's state folder (lock, ledger, staging); "
                           "remove or rename it")
    return sd


def read_marker(output) -> dict:
    try:
        return json.loads((real_output(output) / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def looks_like_output(folder: Path) -> bool:
    """Empty, or written by geo-sink (a run marker, provenance.json, an old ledger/lock), or only
    files of the kinds geo-sink writes (no subfolders)."""
    try:
        entries = list(folder.iterdir())
    except OSError:
        return True   # unreadable: the swap itself will say why
    if not entries:
        return True
    if any((folder / n).exists() for n in (MARKER, "provenance.json") + LEGACY):
        return True
    return all(e.is_file() and e.suffix.lower() in _OUTPUT_SUFFIXES for e in entries)


def _why_not_writable(path: Path) -> str:
    try:
        if os.statvfs(path).f_flag & os.ST_RDONLY:
            return "read-only file system"
    except OSError:
        pass
    return "not writable by this user (permissions, or the immutable attribute: lsattr)"


def check_target(output, inputs=()) -> Path:
    """Refuse, before any work, an output geo-sink cannot or must not replace: a file, a mount
    point, a folder that is not writable, a folder that is not geo-sink's or holds inputs."""
    out = real_output(output)
    if out.parent == out or not out.name:
        raise UnsafeOutputError(f"{out}: the output cannot be a filesystem root")
    if out.exists() and not out.is_dir():
        raise StorageError(f"{out}: the output path is a file, not a folder (point 'output:' or --out at a folder)")
    anc = out.parent
    while not anc.exists():
        anc = anc.parent
    if not anc.is_dir():
        raise StorageError(f"{anc}: is a file, so the output folder {out} cannot be created (remove or rename it)")
    if out.exists():
        if os.path.ismount(out):
            raise StorageError(f"{out}: the output folder is a mount point; geo-sink swaps in a new folder "
                               "beside it at the end of a run, so use a folder inside the mount")
        if not os.access(out, os.W_OK | os.X_OK) or not os.access(out.parent, os.W_OK | os.X_OK):
            which = out if not os.access(out, os.W_OK | os.X_OK) else out.parent
            raise StorageError(f"{which}: {_why_not_writable(which)}; geo-sink writes a new output folder beside "
                               f"{out.name!r} and swaps it in at the end of a run: make {out} and {out.parent} writable")
        for p in inputs:
            p = Path(os.path.realpath(p))
            if p == out or out in p.parents:
                raise UnsafeOutputError(f"{out}: the output folder holds the input {p}; geo-sink replaces its "
                                        "output folder as a whole: choose an output folder of its own")
        if not looks_like_output(out):
            raise UnsafeOutputError(f"{out}: the folder exists and is not a geo-sink output folder (it holds "
                                    "subfolders or other files); geo-sink replaces its output folder as a whole: "
                                    "choose a new or empty folder")
    elif not os.access(anc, os.W_OK | os.X_OK):
        raise StorageError(f"{anc}: {_why_not_writable(anc)}, so the output folder {out} cannot be created")
    return out


def clean_leftovers(output) -> list[str]:
    """Remove what a killed run left in the state folder (put back a previous output folder a
    kill between two renames left aside); one line per thing done."""
    out, sd = real_output(output), state_dir(output)
    if not sd.is_dir():
        return []
    lines = []
    olds = sorted(sd.glob("old-*"))
    try:
        back = recover_folder(out, olds)
    except OSError as e:
        raise storage_error(e, out, "put back the previous output folder") from None
    if back is not None:
        lines.append(f"{out}: put back the previous output folder (a killed run had moved it aside)")
    n = 0
    for d in sorted(sd.glob("new-*")) + sorted(sd.glob("old-*")):
        shutil.rmtree(d, ignore_errors=True)
        n += 1
    if n:
        lines.append(f"{out}: removed {n} leftover staging folder(s) of an interrupted run")
    return lines


class Staging:
    """A staging folder for a new version of ``output``; :meth:`commit` swaps it in.

    ``seed``: ``"empty"`` (a full run; only the FVC series is carried over for reuse) or
    ``"copy"`` (the current output is copied in first: commands that change part of it).
    Leaving the block without a commit removes the staging folder; the output is untouched.
    """

    def __init__(self, output, seed: str = "empty"):
        self.output = real_output(output)
        self.seed = seed
        self.path: Path | None = None
        self.committed = False

    def __enter__(self) -> "Staging":
        sd = ensure_state_dir(self.output)
        token = f"{os.getpid()}-{secrets.token_hex(3)}"
        self.path, self.old = sd / f"new-{token}", sd / f"old-{token}"
        try:
            self.path.mkdir()
            if self.output.is_dir():
                os.chmod(self.path, stat.S_IMODE(self.output.stat().st_mode))
                if self.seed == "copy":
                    copy_folder(self.output, self.path, skip=LEGACY + (MARKER,))
                elif (self.output / SERIES).is_file():
                    shutil.copy2(self.output / SERIES, self.path / SERIES)
        except OSError as e:
            shutil.rmtree(self.path, ignore_errors=True)
            raise storage_error(e, self.path, "prepare the staging folder") from None
        return self

    def commit(self, marker: dict, before=None, after=None) -> str:
        """Write the run marker, then (signals held back) ``before()``, the swap, ``after()``;
        remove the previous folder.  Returns how the folder was swapped."""
        marker = dict(marker, finished_utc=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"))
        try:
            (self.path / MARKER).write_text(json.dumps(marker, ensure_ascii=False, indent=1), encoding="utf-8")
        except OSError as e:
            raise storage_error(e, self.path / MARKER, "write") from None
        with signals.critical():
            if before is not None:
                before()
            try:
                how = swap_folder(self.path, self.output, self.old)
            except OSError as e:
                raise storage_error(e, self.output, "swap in the new output folder") from None
            self.committed = True
            if after is not None:
                after()
        shutil.rmtree(self.old, ignore_errors=True)
        return how

    def __exit__(self, *exc) -> bool:
        if not self.committed and self.path is not None:
            shutil.rmtree(self.path, ignore_errors=True)
        return False
