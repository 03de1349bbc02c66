"""Shared fixtures, each in a fixtures module of its own: settings in a temporary data
dir and a migrated database (fixtures_db), the S3 server and each storage backend
(fixtures_s3), brokers with queues of each test's own (fixtures_brokers), captured logs
(log_capture). Test modules never import fixtures or helpers from each other."""

pytest_plugins = ["tests.fixtures_db", "tests.fixtures_s3", "tests.fixtures_brokers", "tests.log_capture"]
