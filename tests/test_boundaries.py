
import geopandas as gpd
import pyproj
import pytest
import shapely

from geo_sink.errors import CRSError, InputDataError, MissingInputError, UnknownRegionError
from geo_sink.io import load_boundaries, load_zones, read_zones, resolve_region
from geo_sink.io.vectors import GeometryRepairWarning

SHUOZHOU = [("140602", "朔城区"), ("140603", "平鲁区"), ("140621", "山阴县"),
            ("140622", "应县"), ("140623", "右玉县"), ("140681", "怀仁市")]


def test_shuozhou_has_six_counties():
    z = load_boundaries("朔州市")
    assert list(zip(z.zone_id, z.zone_name)) == SHUOZHOU
    assert z.crs.to_epsg() == 4326 and (z.geometry.is_valid).all()


@pytest.mark.parametrize("q", ["朔州市", "140600", "山西省/朔州市", "山西省 朔州市"])
def test_name_forms(q):
    r = resolve_region(q)
    assert (r.adcode, r.level, r.province) == ("140600", "city", "山西省")


def test_county_by_path_and_municipality():
    assert resolve_region("石家庄市/长安区").adcode == "130102"
    assert resolve_region("北京市").level == "city"


def test_ambiguous_name_lists_all():
    with pytest.raises(UnknownRegionError, match="ambiguous") as e:
        resolve_region("长安区")
    assert len(e.value.candidates) == 2 and any("西安市" in c for c in e.value.candidates)


def test_unknown_name_lists_closest():
    assert resolve_region("朔州").adcode == "140600"  # no suffix: see test_regions_names.py
    with pytest.raises(UnknownRegionError, match="朔州市") as e:
        resolve_region("朔州县")
    assert any(c.startswith("山西省/朔州市") for c in e.value.candidates)


def test_unknown_adcode():
    with pytest.raises(UnknownRegionError, match="999999"):
        resolve_region("999999")


def test_levels():
    assert len(load_boundaries("山西省", level="city")) == 11
    assert len(load_boundaries("山西省")) == 117
    assert load_boundaries("平鲁区").zone_id.tolist() == ["140603"]
    with pytest.raises(UnknownRegionError):
        load_boundaries("平鲁区", level="city")


def test_boundaries_are_shifted_from_gcj02_to_wgs84():
    wgs = load_boundaries("平鲁区")
    gcj = load_boundaries("平鲁区", datum="gcj02")
    a = shapely.get_coordinates(wgs.geometry.iloc[0])
    b = shapely.get_coordinates(gcj.geometry.iloc[0])
    geod = pyproj.Geod(ellps="WGS84")
    _, _, d = geod.inv(a[:, 0], a[:, 1], b[:, 0], b[:, 1])
    # GCJ-02 offsets in Shanxi are a few hundred metres, smooth over a county
    assert 100 < d.min() and d.max() < 1000 and d.std() < 100


@pytest.mark.parametrize("suffix", [".gpkg", ".shp", ".geojson", ".parquet"])
def test_user_zone_files(tmp_path, suffix):
    gdf = gpd.GeoDataFrame({"code": ["A1", "B2"], "名称": ["甲区", "乙区"]},
                           geometry=[shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)], crs=4326)
    path = tmp_path / f"zones{suffix}"
    if suffix == ".parquet":
        gdf.to_parquet(path)
    else:
        gdf.to_file(path)
    z = load_zones(path, id_field="code", name_field="名称")
    assert list(z.zone_id) == ["A1", "B2"] and list(z.zone_name) == ["甲区", "乙区"]


def test_invalid_geometry_repaired_with_named_warning(tmp_path):
    bowtie = shapely.Polygon([(0, 0), (2, 2), (2, 0), (0, 2)])
    gdf = gpd.GeoDataFrame({"id": ["x"], "name": ["蝴蝶"]}, geometry=[bowtie], crs=4326)
    gdf.to_file(tmp_path / "z.gpkg")
    with pytest.warns(GeometryRepairWarning, match=r"zone x \(蝴蝶\).*Self-intersection"):
        z = read_zones(tmp_path / "z.gpkg", id_field="id", name_field="name")
    assert z.geometry.iloc[0].is_valid and z.geometry.iloc[0].area == pytest.approx(2.0)


def test_bad_zone_files(tmp_path):
    with pytest.raises(MissingInputError):
        load_zones(tmp_path / "none.gpkg")
    gdf = gpd.GeoDataFrame({"id": [1]}, geometry=[shapely.box(0, 0, 1, 1)], crs=4326)
    gdf.to_file(tmp_path / "z.gpkg")
    with pytest.raises(InputDataError, match="no field 'county'.*'id'"):
        read_zones(tmp_path / "z.gpkg", id_field="county")
    gpd.GeoDataFrame({"id": [1]}, geometry=[shapely.box(0, 0, 1, 1)]).to_file(tmp_path / "n.geojson")
    # GeoJSON is WGS 84 by definition, so test the no-CRS case with a Shapefile without .prj
    gpd.GeoDataFrame({"id": [1]}, geometry=[shapely.box(0, 0, 1, 1)]).to_file(tmp_path / "n.shp")
    with pytest.raises(CRSError, match="no CRS"):
        read_zones(tmp_path / "n.shp")
    gpd.GeoDataFrame({"id": [1, 1]}, geometry=[shapely.box(0, 0, 1, 1)] * 2, crs=4326).to_file(tmp_path / "d.gpkg")
    with pytest.raises(InputDataError, match="not unique"):
        read_zones(tmp_path / "d.gpkg", id_field="id")
