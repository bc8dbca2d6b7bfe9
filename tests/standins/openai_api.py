"""A loopback stand-in for the OpenAI API: chat completions (structured output) and image generation.

It answers the paths the official ``openai`` SDK calls with the real response shapes:

- ``POST /v1/chat/completions``: a ``chat.completion`` whose message content is the next
  queued reply (``queue_chat(...)``), or else a valid script built from the prompt's topic
  and facts, sized to the word budget the prompt states (so it behaves like a decent model);
- ``POST /v1/audio/transcriptions`` (multipart): the queued text (``queue_transcript(...)``) spread
  over the uploaded audio's real duration (decoded with ffmpeg), as ``json``, ``text`` or
  ``verbose_json`` with ``words`` (bare, no punctuation, like the real API) and ``segments``
  when ``timestamp_granularities[]`` asks for them; language by name ("english");
- ``POST /v1/images/generations``: ``{"created", "data": [{"b64_json": <PNG>}], "usage"}``
  with a real PNG of the requested size whose colours follow the prompt.

Errors use OpenAI's body shape ``{"error": {"message", "type", "param", "code"}}``.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import time

from PIL import Image, ImageDraw

from .server import Fault, Reply, Request, StandIn, json_reply


def _tokens(text: str) -> int:
    return max(1, len(text) // 4)


class OpenAIStandIn(StandIn):
    def __init__(self):
        super().__init__()
        self._chat_queue: list[str] = []
        self._transcripts: list[str] = []

    def queue_transcript(self, *texts: str) -> None:
        """The next transcription answers say these texts, in order (default: a fixed sentence)."""
        with self._lock:
            self._transcripts.extend(texts)

    def queue_chat(self, *contents: str | dict) -> None:
        """The next chat completions answer with these message contents, in order."""
        with self._lock:
            self._chat_queue.extend(c if isinstance(c, str) else json.dumps(c) for c in contents)

    def error_reply(self, status: int, fault: Fault) -> Reply:
        kind = {429: ("rate_limit_exceeded", "requests"), 401: ("invalid_api_key", "invalid_request_error"),
                400: ("invalid_request", "invalid_request_error")}.get(status, ("server_error", "server_error"))
        return Reply(status, fault.body if fault.body is not None else {
            "error": {"message": f"stand-in {status}", "type": kind[1], "param": None, "code": kind[0]}})

    def route(self, req: Request) -> Reply | None:
        if not req.headers.get("authorization", "").startswith("Bearer "):
            return json_reply({"error": {"message": "You didn't provide an API key.", "type": "invalid_request_error",
                                         "param": None, "code": None}}, 401)
        if req.method == "POST" and req.path == "/v1/chat/completions":
            return self._chat(req.json())
        if req.method == "POST" and req.path == "/v1/audio/transcriptions":
            return self._transcription(req)
        if req.method == "POST" and req.path == "/v1/images/generations":
            return self._image(req.json())
        return json_reply({"error": {"message": f"Unknown request URL: {req.method} {req.path}",
                                     "type": "invalid_request_error", "param": None, "code": "unknown_url"}}, 404)

    # -- chat ----------------------------------------------------------------------
    def _chat(self, body: dict) -> Reply:
        messages = body.get("messages") or []
        if not messages or not body.get("model"):
            return json_reply({"error": {"message": "'messages' and 'model' are required", "type":
                                         "invalid_request_error", "param": "messages", "code": None}}, 400)
        prompt = "\n".join(str(m.get("content", "")) for m in messages)
        with self._lock:
            content = self._chat_queue.pop(0) if self._chat_queue else None
        if content is None:
            content = json.dumps(self.write_script(prompt))
        return json_reply({
            "id": f"chatcmpl-{hashlib.sha1(prompt.encode()).hexdigest()[:12]}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body["model"],
            "system_fingerprint": "fp_standin",
            "choices": [{"index": 0, "finish_reason": "stop", "logprobs": None,
                         "message": {"role": "assistant", "content": content, "refusal": None}}],
            "usage": {"prompt_tokens": _tokens(prompt), "completion_tokens": _tokens(content),
                      "total_tokens": _tokens(prompt) + _tokens(content)},
        })

    @staticmethod
    def write_script(prompt: str) -> dict:
        """A plausible script for the topic in the prompt, within the word budget it states."""
        topic = (re.search(r"Topic: (.+)", prompt) or re.search(r"(.+)", prompt)).group(1).strip()
        budget = re.search(r"(\d+)-(\d+) words", prompt)
        lo, hi = (int(budget.group(1)), int(budget.group(2))) if budget else (90, 130)
        facts = re.findall(r"^- (.+)$", prompt, flags=re.M)
        body = facts[:6] or [f"Here is a surprising thing about {topic.lower()} that most people never notice."] * 5
        while len(body) < 4:
            body.append(f"And there is more to {topic.lower()} than meets the eye.")
        beats = [{"narration": f"{b.rstrip('.')}.", "visual_prompt": f"close-up illustrating: {b[:60]}",
                  "keywords": [w.lower() for w in re.findall(r"[A-Za-z]{5,}", b)[:3]]} for b in body]
        script = {
            "title": topic[:90],
            "description": f"Everything about {topic.lower()} in under a minute.",
            "tags": ["shorts", "facts"],
            "hook": {"narration": f"{topic}? Here's why." if len(topic.split()) <= 4 else "This one sounds made up.",
                     "visual_prompt": f"bold opening shot about {topic}",
                     "keywords": []},
            "promise": {"narration": "In the next few seconds you will finally understand it.",
                        "visual_prompt": "a curious viewer leaning in", "keywords": []},
            "beats": beats,
            "cta": {"narration": "Follow for one more surprising fact tomorrow.", "visual_prompt": "a friendly wave",
                    "keywords": []},
        }

        def count() -> int:
            parts = [script["hook"], script["promise"], *script["beats"], script["cta"]]
            return sum(len(p["narration"].split()) for p in parts)

        while count() > hi and len(script["beats"]) > 4:
            script["beats"].pop()
        filler = iter(f"Fact {i}: scientists are still learning new things about this every single year."
                      for i in range(2, 9))
        while count() < lo and len(script["beats"]) < 7:
            script["beats"].append({"narration": next(filler), "visual_prompt": "a laboratory at night",
                                    "keywords": ["science"]})
        return script

    # -- transcriptions --------------------------------------------------------------
    @staticmethod
    def _multipart(req: Request) -> dict[str, list]:
        from email.parser import BytesParser
        from email.policy import HTTP

        head = f"Content-Type: {req.headers.get('content-type', '')}\r\n\r\n".encode()
        msg = BytesParser(policy=HTTP).parsebytes(head + req.body)
        fields: dict[str, list] = {}
        for part in msg.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True)
            fields.setdefault(name, []).append(payload if part.get_filename() else payload.decode())
        return fields

    def _transcription(self, req: Request) -> Reply:
        import subprocess
        import tempfile

        from shortsmith.ffmpeg import ffprobe_path

        def bad(message: str, param: str) -> Reply:
            return json_reply({"error": {"message": message, "type": "invalid_request_error", "param": param,
                                         "code": None}}, 400)

        if not req.headers.get("content-type", "").startswith("multipart/form-data"):
            return bad("expected multipart/form-data", "file")
        fields = self._multipart(req)
        if "file" not in fields or not fields["file"][0]:
            return bad("'file' is required", "file")
        model = (fields.get("model") or [""])[0]
        if not model:
            return bad("'model' is required", "model")
        fmt = (fields.get("response_format") or ["json"])[0]
        grains = fields.get("timestamp_granularities[]") or []
        if grains and fmt != "verbose_json":
            return bad("timestamp_granularities requires response_format=verbose_json", "timestamp_granularities")
        with tempfile.NamedTemporaryFile(suffix=".mp3") as f:
            f.write(fields["file"][0])
            f.flush()
            probe = subprocess.run([ffprobe_path(), "-v", "error", "-show_entries", "format=duration", "-of",
                                    "csv=p=0", f.name], capture_output=True, text=True, timeout=30)
        try:
            duration = float(probe.stdout.strip())
        except ValueError:
            return bad("Invalid file format. Supported formats: flac, m4a, mp3, mp4, mpeg, mpga, oga, ogg, wav, "
                       "webm", "file")
        with self._lock:
            text = self._transcripts.pop(0) if self._transcripts else "Hello from the stand-in. It heard you."
        if fmt == "text":
            return Reply(200, text + "\n", {"Content-Type": "text/plain"})
        if fmt == "json":
            return json_reply({"text": text, "usage": {"type": "duration", "seconds": round(duration)}})
        tokens = text.split()
        step = duration / max(1, len(tokens))
        words = [{"word": re.sub(r"[^\w']", "", t), "start": round(i * step, 2), "end": round((i + 0.8) * step, 2)}
                 for i, t in enumerate(tokens)]
        segments, first = [], 0
        for i, t in enumerate(tokens):
            if re.search(r"[.!?]$", t) or i == len(tokens) - 1:
                segments.append({"id": len(segments), "seek": 0, "start": words[first]["start"],
                                 "end": words[i]["end"], "text": " " + " ".join(tokens[first:i + 1]),
                                 "tokens": [], "temperature": 0.0, "avg_logprob": -0.2,
                                 "compression_ratio": 1.2, "no_speech_prob": 0.01})
                first = i + 1
        body = {"task": "transcribe", "language": "english", "duration": round(duration, 2), "text": text,
                "usage": {"type": "duration", "seconds": round(duration)}}
        if "word" in grains:
            body["words"] = words
        if "segment" in grains or not grains:
            body["segments"] = segments
        return json_reply(body)

    # -- images --------------------------------------------------------------------
    def _image(self, body: dict) -> Reply:
        prompt = body.get("prompt") or ""
        size = body.get("size") or "1024x1024"
        if not prompt:
            return json_reply({"error": {"message": "'prompt' is required", "type": "invalid_request_error",
                                         "param": "prompt", "code": None}}, 400)
        if "forbidden" in prompt.lower():
            return json_reply({"error": {"message": "Your request was rejected by the safety system.",
                                         "type": "image_generation_user_error", "param": None,
                                         "code": "moderation_blocked"}}, 400)
        try:
            w, h = (int(v) for v in size.split("x"))
        except ValueError:
            return json_reply({"error": {"message": f"Invalid size '{size}'", "type": "invalid_request_error",
                                         "param": "size", "code": None}}, 400)
        data = []
        for i in range(int(body.get("n") or 1)):
            data.append({"b64_json": base64.b64encode(self.make_png(prompt, w, h, i)).decode(),
                         "revised_prompt": None})
        return json_reply({"created": int(time.time()), "data": data,
                           "usage": {"input_tokens": _tokens(prompt), "output_tokens": 4160,
                                     "total_tokens": _tokens(prompt) + 4160,
                                     "input_tokens_details": {"text_tokens": _tokens(prompt), "image_tokens": 0}}})

    @staticmethod
    def make_png(prompt: str, w: int, h: int, salt: int = 0) -> bytes:
        d = hashlib.sha256(f"{prompt}|{salt}".encode()).digest()
        img = Image.new("RGB", (w, h), (d[0], d[1], d[2]))
        draw = ImageDraw.Draw(img)
        for k in range(6):
            x0, y0 = d[3 + k] * w // 256, d[10 + k] * h // 256
            draw.ellipse([x0, y0, x0 + w // 3, y0 + w // 3], fill=(d[17 + k], d[20 + k], d[24 + k]))
        buf = io.BytesIO()
        img.save(buf, "PNG")
        return buf.getvalue()
