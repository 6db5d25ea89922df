"""Land-cover maps dropped into a project's inbox: year and legend from the file's tags or name.

A GeoTIFF in the inbox (``imagery.inbox``) is a new land-cover year when its year and legend
can be told without guessing:

- **tags** (GDAL metadata of the file, dataset domain): ``GEO_SINK_YEAR`` / ``YEAR`` and
  ``GEO_SINK_LEGEND`` / ``LEGEND`` (a catalog legend id), ``GEO_SINK_SYNTHETIC`` (``true``);
- **the name**: one four-digit year from 1985 to 2100 and one legend, named by its id or by the
  product's own file naming: ``CLCD_v01_2021_albert.tif`` (CLCD), ``ESA_WorldCover_10m_2021_v200_
  N36E111_Map.tif`` (WorldCover), ``GlobeLand30``/``GLC30`` (GlobeLand30), ``MCD12…`` (MODIS
  IGBP), or e.g. ``landcover_clcd_2021.tif``.

Tags win over the name only when they agree with it; a file whose name and tags disagree, with
two years or two legends in its name, without a CRS, or not a raster at all is not understood:
:func:`inbox_landcover` returns it with the reason, and the runner moves it aside
(``inbox/quarantine/``) and says so.  Nothing here moves or writes a file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from geo_sink.project import YEARS, future_year_problem

RASTER_SUFFIXES = (".tif", ".tiff")

#: product file-name patterns (lower case) -> catalog legend id
PRODUCT_NAMES = (("clcd", "clcd"), ("worldcover", "worldcover"), ("globeland30", "globeland30"),
                 ("glc30", "globeland30"), ("mcd12", "modis_igbp"))


@dataclass(frozen=True)
class InboxLandCover:
    """A land-cover map found in the inbox: where its year and legend came from."""

    path: Path
    year: int
    legend: str
    synthetic: bool
    basis: str


def _from_name(name: str, legends) -> tuple[list[int], list[str]]:
    stem = name.lower()
    tokens = re.split(r"[^0-9a-z]+", stem)
    years = sorted({int(t) for t in tokens if re.fullmatch(r"\d{4}", t) and YEARS[0] <= int(t) <= YEARS[1]})
    found = {lid for lid in legends if lid.lower() in tokens}
    found |= {lid for pat, lid in PRODUCT_NAMES if pat in stem and lid in legends}
    return years, sorted(found)


def _tag(tags: dict, *keys):
    for k in keys:
        for kk in (k, k.lower()):
            if tags.get(kk) not in (None, ""):
                return str(tags[kk]).strip()
    return None


def classify_landcover_file(path: Path, legends) -> InboxLandCover | str:
    """An :class:`InboxLandCover` for ``path``, or the reason it is not understood (a str).

    Parameters
    ----------
    path : Path
        A file in the inbox.
    legends : collection of str
        The catalog's legend ids.
    """
    import rasterio
    path = Path(path)
    if path.suffix.lower() not in RASTER_SUFFIXES:
        return ("not a scene folder or a land-cover GeoTIFF (*.tif with a year and a legend in its name or tags); "
                "expected e.g. CLCD_v01_2021_albert.tif or a Sentinel-2/Landsat scene folder")
    try:
        with rasterio.Env(GDAL_PAM_ENABLED="NO"), rasterio.open(path) as src:
            tags, crs, count = src.tags(), src.crs, src.count
    except (rasterio.errors.RasterioIOError, rasterio.errors.RasterioError) as e:
        return f"not a readable GeoTIFF ({e})"
    years, names = _from_name(path.name, legends)
    t_year, t_leg = _tag(tags, "GEO_SINK_YEAR", "YEAR"), _tag(tags, "GEO_SINK_LEGEND", "LEGEND")
    if t_year is not None and not (re.fullmatch(r"\d{4}", t_year) and YEARS[0] <= int(t_year) <= YEARS[1]):
        return f"tag YEAR={t_year!r} is not a year {YEARS[0]}-{YEARS[1]}"
    if t_leg is not None and t_leg not in legends:
        return f"tag LEGEND={t_leg!r} is not a catalog legend; expected one of {sorted(legends)}"
    if t_year is not None and years and years != [int(t_year)]:
        return f"its name says {years} but its YEAR tag {t_year}: which is it? rename the file or fix the tag"
    if t_leg is not None and names and names != [t_leg]:
        return f"its name says legend {names} but its LEGEND tag {t_leg!r}: rename the file or fix the tag"
    year = int(t_year) if t_year is not None else (years[0] if len(years) == 1 else None)
    legend = t_leg if t_leg is not None else (names[0] if len(names) == 1 else None)
    if year is None:
        return ("no year: the name holds " + (f"several {years}" if years else "none")
                + " and there is no YEAR tag; name it like landcover_clcd_2021.tif or tag it (gdal_edit.py -mo YEAR=2021)")
    if (why := future_year_problem(year)) is not None:
        return f"year {why}"
    if legend is None:
        return ("no legend: the name names " + (f"several {names}" if names else "none of " + str(sorted(legends)))
                + " and there is no LEGEND tag (gdal_edit.py -mo LEGEND=clcd)")
    if crs is None:
        return "no CRS (it would be placed at the wrong position); write one into the file (gdal_edit.py -a_srs EPSG:...)"
    if count != 1:
        return f"{count} bands: a land-cover map has one band of class codes"
    syn = str(_tag(tags, "GEO_SINK_SYNTHETIC", "SYNTHETIC") or "").lower() in ("1", "true", "yes")
    basis = ("tags" if t_year is not None and t_leg is not None else
             "name" if t_year is None and t_leg is None else "name and tags")
    return InboxLandCover(path, year, legend, syn, basis)


def inbox_landcover(inbox: Path | None, legends, skip=()) -> tuple[list[InboxLandCover], list[tuple[Path, str]]]:
    """Land-cover maps in the inbox (by year) and the files not understood, with the reason.

    ``skip`` are names to leave alone (the quarantine folder, files the scene reader owns).
    Folders are the scene reader's; only files are looked at here.
    """
    if inbox is None or not Path(inbox).is_dir():
        return [], []
    found, odd = [], []
    for f in sorted(p for p in Path(inbox).iterdir() if p.is_file() and p.name not in skip
                    and not p.name.startswith(".")):
        res = classify_landcover_file(f, legends)
        (odd.append((f, res)) if isinstance(res, str) else found.append(res))
    return sorted(found, key=lambda x: x.year), odd
