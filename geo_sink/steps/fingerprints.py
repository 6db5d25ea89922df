"""Fingerprints of a project's input files: ``{path: (role, sha256, bytes)}`` (the ledger, the
steps' fingerprints and ``provenance.json`` use them)."""

from __future__ import annotations

from pathlib import Path

from geo_sink.io.fingerprint import sha256_file


def dataset_files(path) -> list[Path]:
    """A dataset's file and the side files its readers read with it: a shapefile's ``.dbf``,
    ``.shx``, ``.prj``, ``.cpg``…, a raster's ``.aux.xml`` (GDAL's PAM: nodata, statistics,
    CRS), ``.ovr``, ``.msk``, world file: every file named ``<stem>.*`` or ``<name>.*`` beside it."""
    import glob

    p = Path(path)
    if not p.is_file():
        return [p]
    side = {Path(f) for pattern in (glob.escape(str(p.with_suffix(""))) + ".*", glob.escape(str(p)) + ".*")
            for f in glob.glob(pattern)}
    return [p] + sorted(f for f in side if f != p and f.is_file())


def project_inputs(project) -> dict[str, tuple[str, str, int]]:
    """{path: (role, sha256, bytes)} of every input file of a project."""
    from geo_sink.catalog import load_catalog
    from geo_sink.runs.scenes import project_scenes
    from geo_sink.steps.context import landcover_inputs

    s = project.spec
    files: dict[str, str] = {}
    for lc in landcover_inputs(project, load_catalog()):
        for f in dataset_files(lc.path):
            files[str(f)] = "landcover"
    for sc in project_scenes(project):
        for f in sorted(Path(sc.path).rglob("*")):
            if f.is_file():
                files[str(f)] = "scene"
    for sec, role in ((s.mines, "mines"), (s.subsidence, "subsidence"), (s.pv_constraints, "pv"),
                      (s.wetlands, "wetlands"), (s.growing_stock, "growing_stock"), (s.pv, "pv")):
        if sec is None:
            continue
        for v in sec.model_dump().values():
            if isinstance(v, Path) and v.is_file():
                for f in dataset_files(v):
                    files[str(f)] = role
    if s.boundary.file is not None:
        for f in dataset_files(s.boundary.file):
            files[str(f)] = "boundary"
    files[str(project.path)] = "project"
    out = {p: (role, sha256_file(p), Path(p).stat().st_size) for p, role in files.items()}
    # the catalog's coefficients, legends and targets are inputs too: a changed one re-runs all
    cat = load_catalog()
    for rel, sha in cat.file_fingerprints().items():
        out[str(cat.root / rel)] = ("catalog", sha, (cat.root / rel).stat().st_size)
    return out
