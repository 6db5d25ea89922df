"""Self-contained HTML map reports (folium/Leaflet, every asset inlined, usable offline)."""

from geo_sink.report.build import build_report, build_reports

__all__ = ["build_report", "build_reports"]
