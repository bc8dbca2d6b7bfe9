"""A studio over a throwaway instance, media folder and channels config (review: required)."""

from __future__ import annotations

import pytest

from tests.conftest import ROOT, write_channels


@pytest.fixture
def studio_env(workdir, tmp_path, monkeypatch):
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text((ROOT / "dagster.yaml").read_text())
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("SHORTSMITH_CHANNELS", str(write_channels(tmp_path / "channels.yaml", review="required")))
    monkeypatch.setenv("SHORTSMITH_RENDER_SIZE", "360x640")
    monkeypatch.setenv("SHORTSMITH_STORAGE", "local")
    monkeypatch.delenv("SHORTSMITH_STUDIO_DB", raising=False)
    monkeypatch.delenv("SHORTSMITH_DAGSTER_URL", raising=False)
    from studio.app import build_studio

    studio = build_studio()
    try:
        yield studio
    finally:
        studio.launcher.close()
        studio.instance.dispose()
