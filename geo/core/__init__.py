"""Settings, the database, the district clock, domain errors and migrations."""
