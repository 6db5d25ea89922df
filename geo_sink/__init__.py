"""geo-sink: county-level carbon sinks, mine reclamation and PV siting for China's
carbon-peak plans."""

__version__ = "0.1.0"
