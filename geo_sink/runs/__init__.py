"""Running projects for timers: full runs, incremental updates, the run ledger and the lock."""
