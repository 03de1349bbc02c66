"""Shared fixtures: settings in a temporary data dir, a migrated database."""

pytest_plugins = ["tests.fixtures_db", "tests.fixtures_s3", "tests.fixtures_brokers"]
