"""The run ledger: an SQLite file beside the output folder (``<parent>/.<name>.geo-sink/
ledger.sqlite``) with every run, its inputs, its outcome and what changed (scenes added, read
again or removed; warnings).

Status of a run: ``running`` -> ``swapping`` (its inputs recorded, the new folder about to be
swapped in) -> ``ok``; ``failed`` (an error: the output folder was left as it was),
``interrupted`` (a signal, or killed: the next run finds the row still ``running`` and marks it).
A row left ``swapping`` by a kill is ``ok`` if the output folder's run marker names it, else
``interrupted``.  A damaged ledger is moved aside with a warning and a new one started.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sqlite3
from pathlib import Path

from geo_sink.errors import StorageError
from geo_sink.runs.faults import storage_message
from geo_sink.runs.notices import notice
from geo_sink.runs.staging import ensure_state_dir, read_marker, state_dir

SCHEMA = """
create table if not exists runs (id integer primary key, kind text, project text, started text,
    finished text, status text, code_version text, message text);
create table if not exists inputs (run_id integer, role text, path text, sha256 text, bytes integer);
create table if not exists events (run_id integer, kind text, item text, detail text);
"""
#: Run kinds whose recorded inputs describe the whole output folder (what ``update`` compares).
FULL_KINDS = ("run", "update")


def ledger_path(output) -> Path:
    return state_dir(output) / "ledger.sqlite"


def legacy_ledger_path(output) -> Path:
    """Where geo-sink before 0.2 kept the ledger: inside the output folder."""
    return Path(output) / "geo_sink_ledger.sqlite"


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def _open(path: Path, readonly: bool = False) -> sqlite3.Connection:
    if readonly:
        con = sqlite3.connect(f"{Path(path).absolute().as_uri()}?mode=ro", uri=True, timeout=30)
    else:
        con = sqlite3.connect(path, timeout=30)
    try:
        if not readonly:
            con.executescript(SCHEMA)
        row = con.execute("pragma quick_check").fetchone()
        if row is None or row[0] != "ok":
            raise sqlite3.DatabaseError(f"integrity check: {row[0] if row else 'no answer'}")
        con.execute("select id, kind, project, started, finished, status, code_version, message from runs limit 1")
        con.execute("select run_id, role, path, sha256, bytes from inputs limit 1")
    except BaseException:
        con.close()
        raise
    return con


def _damaged(e: sqlite3.Error) -> bool:
    """A ledger that is not a (readable) geo-sink database, as opposed to one SQLite cannot open
    or write (permissions, a full disk: those are environment errors)."""
    if type(e) is sqlite3.DatabaseError:
        return True
    text = str(e).lower()
    return "no such column" in text or "malformed" in text or "not a database" in text


def _environment(e: sqlite3.Error, path: Path, doing: str) -> StorageError:
    msg = storage_message(e, path, doing) or f"cannot {doing} {path}: {e} (check the folder's permissions and free space)"
    return StorageError(msg)


class _Ledger:
    """``with _Ledger(output) as con``: a connection (commit on success), the legacy ledger
    copied in once, a damaged file moved aside (``repair``) or reported (read-only use)."""

    def __init__(self, output, repair: bool = True):
        self.output, self.repair = output, repair
        self.path = ledger_path(output)

    def __enter__(self) -> sqlite3.Connection:
        if self.repair:
            ensure_state_dir(self.output)
            legacy = legacy_ledger_path(self.output)
            if not self.path.exists() and legacy.is_file():
                try:
                    shutil.copy2(legacy, self.path)
                except OSError as e:
                    raise StorageError(storage_message(e, self.path, "copy the old ledger to") or str(e)) from None
        try:
            self.con = _open(self.path)
        except sqlite3.Error as e:
            if not _damaged(e):
                raise _environment(e, self.path, "open the run ledger") from None
            if not self.repair:
                raise StorageError(f"{self.path}: the run ledger is damaged ({e}); the next `geo-sink run` or "
                                   "`geo-sink update` moves it aside and starts a new one") from None
            aside = self.path.with_name(f"ledger.sqlite.damaged-{dt.datetime.now().strftime('%Y%m%dT%H%M%S')}")
            try:
                os.replace(self.path, aside)
                for extra in ("-wal", "-shm", "-journal"):
                    side = Path(f"{self.path}{extra}")
                    if side.exists():
                        os.replace(side, Path(f"{aside}{extra}"))
                self.con = _open(self.path)
            except (OSError, sqlite3.Error) as e2:
                raise _environment(e2, self.path, "replace the damaged run ledger") from None
            notice(f"{self.path}: the run ledger was damaged ({e}); moved aside to {aside.name} and a new "
                   "ledger started (the next update runs in full)")
        return self.con

    def __exit__(self, exc_type, exc, tb) -> bool:
        try:
            if exc_type is None:
                self.con.commit()
            else:
                self.con.rollback()
        except sqlite3.Error as e:
            if exc_type is None:
                raise _environment(e, self.path, "write the run ledger") from None
        finally:
            self.con.close()
        if isinstance(exc, sqlite3.Error) and not isinstance(exc, StorageError):
            raise _environment(exc, self.path, "write the run ledger") from None
        return False


def settle(output) -> list[str]:
    """Settle rows a killed run left behind (the caller holds the output lock, so no other run
    can be active): ``running`` -> ``interrupted``; ``swapping`` -> ``ok`` if the output folder's
    run marker names the row (killed after the swap), else ``interrupted``.  One line per row."""
    if not ledger_path(output).exists() and not legacy_ledger_path(output).is_file():
        return []
    marker = read_marker(output)
    lines = []
    with _Ledger(output) as con:
        for rid, status in con.execute("select id, status from runs where status in ('running', 'swapping')").fetchall():
            if status == "swapping" and marker.get("run_id") == rid:
                con.execute("update runs set status='ok', finished=?, message=coalesce(message, '') || ? where id=?",
                            (marker.get("finished_utc") or _now(),
                             " (killed right after its output folder was swapped in; the next run finished its entry)", rid))
                lines.append(f"ledger: run #{rid} was killed right after its output folder was swapped in: marked ok")
            else:
                con.execute("update runs set status='interrupted', message=? where id=?",
                            (f"killed before it finished (noticed {_now()}); the output folder was left as it was "
                             "and the next run removed the leftovers", rid))
                lines.append(f"ledger: run #{rid} was killed before it finished: marked interrupted")
    return lines


def start(output, kind: str, project: str, version: str) -> int:
    """Open a run row (after :func:`settle`)."""
    settle(output)
    with _Ledger(output) as con:
        cur = con.execute("insert into runs (kind, project, started, status, code_version) values (?,?,?,?,?)",
                          (kind, project, _now(), "running", version))
        return int(cur.lastrowid)


def swapping(output, run_id: int, message: str, inputs: dict[str, tuple[str, str, int]] | None = None,
             events=()) -> None:
    """The run is complete in its staging folder: record its inputs, what changed and the
    message; the swap comes next."""
    with _Ledger(output) as con:
        con.execute("update runs set status='swapping', message=? where id=?", (message, run_id))
        for path, (role, sha, size) in (inputs or {}).items():
            con.execute("insert into inputs values (?,?,?,?,?)", (run_id, role, path, sha, size))
        for kind, item, detail in events:
            con.execute("insert into events values (?,?,?,?)", (run_id, kind, item, detail))


def finish(output, run_id: int, status: str, message: str | None = None,
           inputs: dict[str, tuple[str, str, int]] | None = None) -> None:
    with _Ledger(output) as con:
        if message is None:
            con.execute("update runs set finished=?, status=? where id=?", (_now(), status, run_id))
        else:
            con.execute("update runs set finished=?, status=?, message=? where id=?", (_now(), status, message, run_id))
        for path, (role, sha, size) in (inputs or {}).items():
            con.execute("insert into inputs values (?,?,?,?,?)", (run_id, role, path, sha, size))


def last_inputs(output) -> dict[str, str]:
    """{path: sha256} of the last successful full run or update, or {} if none."""
    if not ledger_path(output).exists() and not legacy_ledger_path(output).is_file():
        return {}
    with _Ledger(output) as con:
        row = con.execute("select id from runs where status='ok' and kind in (?, ?) order by id desc limit 1",
                          FULL_KINDS).fetchone()
        if row is None:
            return {}
        return dict(con.execute("select path, sha256 from inputs where run_id=?", (row[0],)).fetchall())


def history(output, limit: int = 50) -> list[tuple]:
    """Runs, newest first (read-only: a damaged ledger is reported, not moved)."""
    path = ledger_path(output)
    if not path.exists():
        path = legacy_ledger_path(output)
        if not path.is_file():
            return []
    try:
        con = _open(path, readonly=True)
    except sqlite3.Error as e:
        if _damaged(e):
            raise StorageError(f"{path}: the run ledger is damaged ({e}); the next `geo-sink run` or "
                               "`geo-sink update` moves it aside and starts a new one") from None
        raise _environment(e, path, "read the run ledger") from None
    try:
        return con.execute("select id, kind, started, finished, status, code_version, message from runs "
                           "order by id desc limit ?", (limit,)).fetchall()
    finally:
        con.close()


def events(output, run_id: int | None = None) -> list[tuple]:
    """(run_id, kind, item, detail) rows: scenes added/re-read/removed, warnings."""
    if not ledger_path(output).exists():
        return []
    con = _open(ledger_path(output), readonly=True)
    try:
        q = "select run_id, kind, item, detail from events" + (" where run_id=?" if run_id is not None else "")
        return con.execute(q + " order by rowid", (() if run_id is None else (run_id,))).fetchall()
    finally:
        con.close()
