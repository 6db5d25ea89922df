"""Scenes of a project: the listed ones plus those dropped into the inbox; quarantine."""

from __future__ import annotations

import shutil
from pathlib import Path
from types import SimpleNamespace

from geo_sink.io.scenes import date_in_name

QUARANTINE = "quarantine"


def guess_product(folder: Path) -> str | None:
    name = folder.name
    if "_L2SP_" in name or any(folder.glob("*_SR_B4.TIF")):
        return "landsat_c2_l2"
    if "L2A" in name or (folder / "B04.tif").exists() or any(folder.rglob("*_B04_10m.jp2")):
        return "sentinel2_l2a"
    return None


def inbox_scenes(inbox: Path | None) -> tuple[list, list[tuple[Path, str]]]:
    """Scene specs found in the inbox (sorted by date), and folders that cannot be one (with
    the reason)."""
    if inbox is None or not Path(inbox).is_dir():
        return [], []
    found, odd = [], []
    for d in sorted(p for p in Path(inbox).iterdir() if p.is_dir() and p.name != QUARANTINE):
        prod, date = guess_product(d), date_in_name(d)
        if prod is None or date is None:
            odd.append((d, "not a Sentinel-2 L2A or Landsat C2 L2 scene folder (expected a product folder name with "
                           "the date, e.g. S2A_49SFJ_20240815_0_L2A or LC09_L2SP_125033_20230810_..._02_T1)"))
            continue
        found.append(SimpleNamespace(path=d, product=prod, date=date))
    return sorted(found, key=lambda s: s.date), odd


def stac_scenes(catalog_path: Path | None) -> tuple[list, list[str]]:
    """Scenes of a static STAC catalog (read with pystac): one per item, the folder of its red
    band asset as the scene folder, the product from ``platform``/asset names, the item's date."""
    if catalog_path is None:
        return [], []
    import pystac

    from geo_sink.errors import InputDataError
    from geo_sink.io.scenes import scene_date_problems
    try:
        cat = pystac.Catalog.from_file(str(catalog_path))
        items = list(cat.get_items(recursive=True))
    except Exception as e:  # pystac raises JSON, schema, key and OS errors
        raise InputDataError(f"{catalog_path}: not a readable static STAC catalog ({type(e).__name__}: {e}); "
                             "the outputs were left as they were") from None
    found, odd = [], []
    for item in items:
        red = next((a for k, a in item.assets.items() if k in ("red", "B04", "SR_B4", "sr_b4")), None)
        if red is None or item.datetime is None:
            odd.append(f"STAC item {item.id}: no red asset or no datetime")
            continue
        folder = Path(red.get_absolute_href()).parent
        platform = str(item.properties.get("platform", "")).lower()
        prod = "landsat_c2_l2" if "landsat" in platform else ("sentinel2_l2a" if "sentinel-2" in platform
                                                               else guess_product(folder))
        if prod is None:
            odd.append(f"STAC item {item.id}: unknown product (platform {platform!r})")
            continue
        probs = scene_date_problems(folder, prod, item.datetime.date())
        if probs:
            odd.append(f"STAC item {item.id}: skipped ({'; '.join(probs)})")
            continue
        found.append(SimpleNamespace(path=folder, product=prod, date=item.datetime.date()))
    return sorted(found, key=lambda s: s.date), odd


def duplicate_scenes(project) -> list[str]:
    """Inbox or STAC scenes left out because a scene of the same folder name comes first (one
    line each: the series keys scenes by folder name)."""
    im = project.spec.imagery
    if im is None:
        return []
    first = {Path(s.path).name: Path(s.path) for s in im.scenes}
    lines = []
    for s in inbox_scenes(im.inbox)[0] + stac_scenes(im.stac)[0]:
        other = first.setdefault(s.path.name, s.path)
        if other != s.path:
            lines.append(f"{s.path}: left out, a scene folder of the same name comes first ({other})")
    return lines


def project_scenes(project) -> list:
    """Listed scenes plus inbox and STAC catalog scenes, by date (each folder counts once)."""
    im = project.spec.imagery
    if im is None:
        return []
    listed = list(im.scenes)
    names = {Path(s.path).name for s in listed}
    extra = inbox_scenes(im.inbox)[0] + stac_scenes(im.stac)[0]
    out = list(listed)
    for s in extra:
        if s.path.name not in names:
            names.add(s.path.name)
            out.append(s)
    return sorted(out, key=lambda s: s.date)


def quarantine(scene_path: Path, inbox: Path, reason: str) -> Path:
    """Move a bad inbox scene (or any inbox entry not understood) to ``inbox/quarantine/`` with
    the reason beside it."""
    from geo_sink.runs.faults import storage_error
    q = Path(inbox) / QUARANTINE
    dest = q / Path(scene_path).name
    try:
        q.mkdir(exist_ok=True)
        if dest.is_dir():
            shutil.rmtree(dest)
        elif dest.exists():
            dest.unlink()
        shutil.move(str(scene_path), dest)
        (q / f"{dest.name}.reason.txt").write_text(reason + "\n", encoding="utf-8")
    except OSError as e:
        raise storage_error(e, q, f"move {Path(scene_path).name} to the quarantine folder") from None
    return dest
