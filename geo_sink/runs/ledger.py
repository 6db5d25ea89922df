"""The run ledger: an SQLite file in the output folder with every run, its inputs and outcome."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

SCHEMA = """
create table if not exists runs (id integer primary key, kind text, project text, started text,
    finished text, status text, code_version text, message text);
create table if not exists inputs (run_id integer, role text, path text, sha256 text, bytes integer);
"""


def ledger_path(output) -> Path:
    return Path(output) / "geo_sink_ledger.sqlite"


def _con(output) -> sqlite3.Connection:
    Path(output).mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(ledger_path(output))
    con.executescript(SCHEMA)
    return con


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def start(output, kind: str, project: str, version: str) -> int:
    """Open a run row; rows left 'running' by a killed run become 'interrupted' (the caller holds
    the output lock, so no other run can be active)."""
    with _con(output) as con:
        con.execute("update runs set status='interrupted', finished=? where status='running'", (_now(),))
        cur = con.execute("insert into runs (kind, project, started, status, code_version) values (?,?,?,?,?)",
                          (kind, project, _now(), "running", version))
        return int(cur.lastrowid)


def finish(output, run_id: int, status: str, message: str, inputs: dict[str, tuple[str, str, int]] | None = None):
    with _con(output) as con:
        con.execute("update runs set finished=?, status=?, message=? where id=?", (_now(), status, message, run_id))
        for path, (role, sha, size) in (inputs or {}).items():
            con.execute("insert into inputs values (?,?,?,?,?)", (run_id, role, path, sha, size))


def last_inputs(output) -> dict[str, str]:
    """{path: sha256} of the last successful run, or {} if none."""
    if not ledger_path(output).exists():
        return {}
    with _con(output) as con:
        row = con.execute("select id from runs where status='ok' order by id desc limit 1").fetchone()
        if row is None:
            return {}
        return dict(con.execute("select path, sha256 from inputs where run_id=?", (row[0],)).fetchall())


def history(output, limit: int = 50) -> list[tuple]:
    if not ledger_path(output).exists():
        return []
    with _con(output) as con:
        return con.execute("select id, kind, started, finished, status, code_version, message from runs "
                           "order by id desc limit ?", (limit,)).fetchall()
