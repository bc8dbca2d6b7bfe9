"""A chat model inside the process: llama.cpp through cyllama (prebuilt wheels, nothing compiled).

The user points SHORTSMITH_LLM_GGUF at an instruct GGUF file they chose; nothing is downloaded.
The model is loaded once per process and used by one call at a time (llama.cpp contexts are not
thread-safe). Its answer is checked like any model's (``llm_script.parse_script``).
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from .config import Channel, TopicSeed
from .errors import ConfigError
from .llm_script import build_messages, correction_message, parse_script
from .model import Script
from .resilience import ProviderError

GGUF_ENV = "SHORTSMITH_LLM_GGUF"
CYLLAMA_PIN = "cyllama==0.2.18"
_EXAMPLE = {"title": "...", "description": "...", "tags": ["..."],
            "hook": {"narration": "...", "visual_prompt": "...", "keywords": ["..."]},
            "promise": {"narration": "...", "visual_prompt": "...", "keywords": ["..."]},
            "beats": [{"narration": "...", "visual_prompt": "...", "keywords": ["..."]}],
            "cta": {"narration": "...", "visual_prompt": "...", "keywords": ["..."]}}
_LOADED: dict[tuple[str, int, int], tuple[object, threading.Lock]] = {}
_LOAD_LOCK = threading.Lock()


@dataclass
class LocalAnswer:
    text: str
    prompt_tokens: int
    output_tokens: int
    seconds: float


def check_model_path(path: str) -> Path:
    p = Path(path or "").expanduser()
    if not path:
        raise ConfigError("no local model file", field=GGUF_ENV, fix=f"set {GGUF_ENV} to an instruct model's .gguf file")
    if not p.is_file():
        raise ConfigError(f"the local model {p} does not exist", field=GGUF_ENV,
                          fix=f"point {GGUF_ENV} at an existing .gguf file (nothing is downloaded at run time)")
    with p.open("rb") as f:
        if f.read(4) != b"GGUF":
            raise ConfigError(f"{p} is not a GGUF file", field=GGUF_ENV,
                              fix="use a llama.cpp model in GGUF format (e.g. a Q4_K_M quantisation)")
    return p


def _model(path: Path, threads: int, n_ctx: int):
    try:
        from cyllama import LLM
    except ImportError:
        raise ConfigError("the local model runtime is not installed", field=GGUF_ENV,
                          fix=f"pip install {CYLLAMA_PIN} (prebuilt llama.cpp, installs in seconds), or unset "
                              f"{GGUF_ENV} and use a server through OPENAI_BASE_URL (e.g. Ollama)") from None
    key = (str(path), threads, n_ctx)
    with _LOAD_LOCK:
        if key not in _LOADED:
            kwargs = {"n_ctx": n_ctx}
            llm = LLM(str(path), verbose=False, **kwargs)
            _LOADED[key] = (llm, threading.Lock())
        return _LOADED[key]


def chat(path: Path, messages: list[dict], *, max_tokens: int, temperature: float, seed: int = 7,
         threads: int = 0, n_ctx: int = 4096) -> LocalAnswer:
    from cyllama import GenerationConfig

    llm, lock = _model(path, threads, n_ctx)
    started = time.perf_counter()
    with lock:
        response = llm.chat(messages, config=GenerationConfig(max_tokens=max_tokens, temperature=temperature,
                                                              seed=seed, n_ctx=n_ctx))
    stats = getattr(response, "stats", None)
    return LocalAnswer(text=str(response), prompt_tokens=getattr(stats, "prompt_tokens", 0) or 0,
                       output_tokens=getattr(stats, "generated_tokens", 0) or 0,
                       seconds=time.perf_counter() - started)


def _json_only(text: str) -> str:
    """The JSON object in an answer that wrapped it in prose or a code fence."""
    start, end = text.find("{"), text.rfind("}")
    return text[start:end + 1] if 0 <= start < end else text


def write_local_script(channel: Channel, topic: str, seed: TopicSeed | None, *, model_path: str,
                       max_tokens: int = 1400, temperature: float = 0.4, threads: int = 0,
                       log=lambda message: None) -> Script:
    """A script from the local model; one corrective turn, then a clear failure."""
    path = check_model_path(model_path)
    messages = build_messages(channel, topic, seed)
    # no structured-output mode here: show the shape in the prompt (the answer is checked anyway)
    messages[0] = {"role": "system", "content": messages[0]["content"]
                   + "\nThe JSON has exactly this shape:\n" + json.dumps(_EXAMPLE)}
    writer = f"local:{path.stem}"
    problems = []
    for turn in (1, 2):
        answer = chat(path, messages, max_tokens=max_tokens, temperature=temperature, threads=threads)
        log(f"local model {path.name}: turn {turn}, {answer.output_tokens} tokens in {answer.seconds:.1f} s")
        parsed = parse_script(_json_only(answer.text), channel, topic, writer=writer)
        if parsed.script is not None and not parsed.problems:
            return parsed.script
        problems = parsed.problems
        messages = messages + [{"role": "assistant", "content": answer.text}, correction_message(problems, channel)]
    raise ProviderError(
        "the local model returned an unusable script twice: "
        + "; ".join(f"{p.field}: {p.message}" for p in problems[:6]),
        provider="local", field=GGUF_ENV,
        fix="use a stronger instruct model (1.5B or more, e.g. a Qwen2.5 or Llama 3.2 GGUF), or put 'offline' "
            "after 'local' in the channel's providers.script and give the topic points or a source")
