"""The throwaway PostgreSQL database fixture of the deployment tests (loaded by path: a site-packages
``tests`` package can shadow this folder's name)."""

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location("_deploy_conftest", Path(__file__).parents[1] / "deploy" / "conftest.py")
_deploy = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_deploy)
pg_database = _deploy.pg_database
