from tests.deploy.conftest import pg_database  # noqa: F401 - the throwaway PostgreSQL database
