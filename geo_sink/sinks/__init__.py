"""Carbon sinks: pools tables, stocks and stock-change sinks, forests, wetlands."""
