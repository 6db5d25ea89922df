"""The Examples in the docstrings run and give what they show (doctest)."""

import doctest
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "geo_sink"
MODULES = sorted(".".join(p.relative_to(ROOT.parent).with_suffix("").parts)
                 for p in ROOT.rglob("*.py") if ">>> " in p.read_text(encoding="utf-8"))


def test_there_are_examples():
    assert "geo_sink.sinks.reclamation" in MODULES


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
