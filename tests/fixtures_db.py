"""Database fixtures: being written by the lead (migrated SQLite, and PostgreSQL when
CASEVAULT_TEST_DATABASE_URL is set). Provides `settings`, `database_url`, `new_session`."""
