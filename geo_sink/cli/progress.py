"""Step output of the long commands: a progress bar on a terminal, plain lines elsewhere,
nothing with ``--quiet``."""

from __future__ import annotations

import sys

import click


def echo_steps(lines, desc: str = "geo-sink") -> int:
    """Print each step line (respecting ``--quiet``) under a tqdm bar on a TTY; return the count."""
    ctx = click.get_current_context(silent=True)
    quiet = bool(ctx and ctx.find_root().params.get("quiet"))
    n = 0
    if quiet:
        for n, _ in enumerate(lines, 1):
            pass
        return n
    from tqdm import tqdm

    with tqdm(desc=desc, unit="step", disable=not sys.stderr.isatty(), leave=False) as bar:
        for n, line in enumerate(lines, 1):
            (bar.write if not bar.disable else click.echo)(line)
            bar.update()
    return n
