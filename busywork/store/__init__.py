"""The store: canonical records, the event log, findings and leases, on SQLite or PostgreSQL."""
