"""Step output of the long commands: a progress bar on a terminal, plain lines elsewhere,
nothing with ``--quiet``.  Warnings (:class:`~geo_sink.runs.notices.Notice`) are printed on
stderr by the command line's notice listener, also under ``-q``; here they are not repeated."""

from __future__ import annotations

import sys

import click

from geo_sink.runs.notices import Notice


def quiet() -> bool:
    """Whether the command runs under ``geo-sink -q``."""
    ctx = click.get_current_context(silent=True)
    return bool(ctx and ctx.find_root().params.get("quiet"))


def say(message: str) -> None:
    """An informational line on stdout, left out under ``-q`` (warnings go to stderr with
    :func:`geo_sink.runs.notices.notice` and stay)."""
    if isinstance(message, Notice):
        return
    if not quiet():
        click.echo(message)


def echo_steps(lines, desc: str = "geo-sink") -> int:
    """Print each step line (respecting ``--quiet``) under a tqdm bar on a TTY; return the count."""
    n = 0
    if quiet():
        for n, _ in enumerate(lines, 1):
            pass
        return n
    from tqdm import tqdm

    with tqdm(desc=desc, unit="step", disable=not sys.stderr.isatty(), leave=False) as bar:
        for n, line in enumerate(lines, 1):
            if not isinstance(line, Notice):
                (bar.write if not bar.disable else click.echo)(line)
            bar.update()
    return n
