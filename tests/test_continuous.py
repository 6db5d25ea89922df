import geopandas as gpd
import numpy as np
import pytest
import shapely

from geo_sink.zonal.continuous import zonal_density_sum
from tests.conftest import write_raster

ALBERS = "+proj=aea +lat_1=25 +lat_2=47 +lat_0=0 +lon_0=105 +datum=WGS84 +units=m +no_defs"


def test_growing_stock_sum_by_hand(tmp_path):
    # 100 m cells (1 ha): values m3/ha; -1 is nodata
    v = np.array([[100, 200, 50, -1],
                  [80, 80, 80, 80]], dtype=np.float32)
    path = write_raster(tmp_path / "gs.tif", v, crs=ALBERS, origin=(0, 200), res=(100, 100), nodata=-1)
    z = gpd.GeoDataFrame({"zone_id": ["a"], "zone_name": ["甲"]},
                         geometry=[shapely.box(50, 0, 400, 200)], crs=ALBERS)
    out = zonal_density_sum(path, z).iloc[0]
    # row 0: half of 100, 200, 50, nodata; row 1: half of 80, 80, 80, 80
    assert out.total == pytest.approx(0.5 * 100 + 200 + 50 + 0.5 * 80 + 80 + 80 + 80)
    assert out.nodata_km2 == pytest.approx(0.01)
    assert out.valid_km2 == pytest.approx(0.06)  # 2.5 ha + 3.5 ha
    assert out["mean"] == pytest.approx(580 / 6)
