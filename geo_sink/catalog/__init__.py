"""Load and validate the data catalog (datasets, legends, targets)."""

from geo_sink.catalog.loader import Catalog, default_catalog_dir, load_catalog
from geo_sink.catalog.models import Baseline, Dataset, Legend, LegendClass, Target

__all__ = ["Catalog", "Dataset", "Legend", "LegendClass", "Target", "Baseline",
           "load_catalog", "default_catalog_dir"]
