"""The geo-sink command line with a kill point, for the fault-injection tests (tests/test_faults.py).

``GEO_SINK_TEST_KILL_AT`` says where the process SIGKILLs itself (nothing cleans up after a
SIGKILL, as after ``kill -9``, the OOM killer or a power cut):

* ``replace:N``       right after the N-th ``os.replace`` (the N-th table written atomically)
* ``before-swap``     the staging folder complete, before it is swapped in
* ``after-swap``      right after the swap, before the ledger says ``ok``
* ``between-renames`` no atomic exchange (as on filesystems without RENAME_EXCHANGE): after the
                      old folder was moved aside, before the new one is moved in
* ``after-ok``        after the ledger says ``ok``, before the old folder is deleted

``GEO_SINK_TEST_NO_LINKS=1`` makes ``os.link`` fail as on a file system without hard links (the
staging folder of an update is then seeded by copying).

Usage: ``python tests/fault_driver.py ARGS...`` (the same arguments as ``geo-sink``).
"""

import os
import signal
import sys


def _kill():
    os.kill(os.getpid(), signal.SIGKILL)


def install(point: str) -> None:
    if not point:
        return
    import geo_sink.io.atomic as atomic
    import geo_sink.runs.ledger as ledger
    import geo_sink.runs.staging as staging

    if point.startswith("replace:"):
        n, real, count = int(point.split(":")[1]), os.replace, [0]

        def replace(a, b, **kw):
            real(a, b, **kw)
            count[0] += 1
            if count[0] == n:
                _kill()
        os.replace = replace
    elif point in ("before-swap", "after-swap"):
        real_swap = staging.swap_folder

        def swap(*a, **kw):
            if point == "before-swap":
                _kill()
            how = real_swap(*a, **kw)
            _kill()
            return how
        staging.swap_folder = swap
    elif point == "between-renames":
        atomic._renameat2_exchange = lambda a, b: False
        real_rename = os.rename

        def rename(a, b, **kw):
            real_rename(a, b, **kw)
            if os.path.basename(str(b)).startswith("old-"):
                _kill()
        os.rename = rename
    elif point == "after-ok":
        real_finish = ledger.finish

        def finish(output, run_id, status, *a, **kw):
            real_finish(output, run_id, status, *a, **kw)
            if status == "ok":
                _kill()
        ledger.finish = finish
    else:
        raise SystemExit(f"unknown kill point {point!r}")


def no_links() -> None:
    import errno

    def link(*a, **kw):
        raise OSError(errno.EPERM, "Operation not permitted (no hard links on this file system)")
    os.link = link


if __name__ == "__main__":
    install(os.environ.get("GEO_SINK_TEST_KILL_AT", ""))
    if os.environ.get("GEO_SINK_TEST_NO_LINKS"):
        no_links()
    from geo_sink.cli import main
    sys.argv[0] = "geo-sink"
    main()
