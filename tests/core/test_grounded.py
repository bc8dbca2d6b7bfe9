"""The offline writer tells facts from a source, phrases each topic shape grammatically, never fills."""

from __future__ import annotations

import http.server
import re
import threading
from pathlib import Path

import pytest

from shortsmith.config import TopicSeed, parse_channels
from shortsmith.facts import split_sentences, tokens
from shortsmith.grounded import HOOK_MAX_CHARS, NoGroundingError, fitting_hook, topic_shape
from shortsmith.script import HOOK_MAX_SECONDS, check_script, spoken_seconds, write_offline_script
from shortsmith.sources import load_source

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "sources"
CHANNEL = parse_channels({"channels": [{"name": "t", "title": "Test Channel", "niche": "science",
                                        "topics": ["x"]}]}).get("t")

# topic -> (source fixture, exact hook, exact title): one or more of every topic shape
TOPICS = {
    "Why cats purr": ("why-cats-purr.txt", "Here's why cats purr.", "Why cats purr"),
    "How to brew green tea": ("how-to-brew-green-tea.md", "Here's how to brew green tea.", "How to brew green tea"),
    "What is a black hole": ("what-is-a-black-hole.txt", "What is a black hole?", "What is a black hole?"),
    "Can dogs see color?": ("can-dogs-see-color.txt", "Can dogs see color?", "Can dogs see color?"),
    "The history of the bicycle": ("history-of-the-bicycle.txt", "Here's the history of the bicycle.",
                                   "The history of the bicycle"),
    "5 facts about octopuses": ("five-facts-about-octopuses.txt", "An octopus has three hearts.",
                                "5 facts about octopuses"),
    "Marie Curie": ("marie-curie.txt", "Marie Curie, explained.", "Marie Curie"),
    "Honeybees": ("honeybees.txt", "Worker bees are all female.", "Honeybees"),
    "How volcanoes erupt": ("how-volcanoes-erupt.txt", "Here's how volcanoes erupt.", "How volcanoes erupt"),
    "Why the sea is salty": ("why-the-sea-is-salty.txt", "Here's why the sea is salty.", "Why the sea is salty"),
    "The Great Wall of China": ("great-wall-of-china.txt", "The Great Wall of China, explained.",
                                "The Great Wall of China"),
    "Tardigrades": ("tardigrades.txt", "Tardigrades, explained.", "Tardigrades"),
    "How GPS works": ("how-gps-works.txt", "Here's how GPS works.", "How GPS works"),
    "The invention of the printing press": ("invention-of-the-printing-press.txt",
                                            "The invention of the printing press.",
                                            "The invention of the printing press"),
    "Do fish sleep?": ("do-fish-sleep.txt", "Most fish have no eyelids.", "Do fish sleep?"),
}


def script_for(topic: str):
    source = FIXTURES / TOPICS[topic][0]
    return write_offline_script(CHANNEL, topic, TopicSeed(topic=topic, source=str(source)))


@pytest.fixture(scope="module")
def scripts():
    return {topic: script_for(topic) for topic in TOPICS}


@pytest.mark.parametrize("topic", list(TOPICS))
def test_every_body_beat_is_a_fact_from_its_source(topic, scripts):
    s = scripts[topic]
    source_sentences = [set(tokens(x)) for x in split_sentences((FIXTURES / TOPICS[topic][0]).read_text())]
    bodies = [b.narration for b in s.beats if b.kind == "body"]
    assert 4 <= len(bodies) <= 7 and check_script(s) == []
    for body in bodies:
        words = set(tokens(body))
        # a compressed fact keeps only words of one source sentence (nothing added)
        assert any(words <= sentence for sentence in source_sentences), body
    assert len(s.facts) == len(bodies) and s.source.endswith(TOPICS[topic][0])


@pytest.mark.parametrize("topic", list(TOPICS))
def test_hook_and_title_are_grammatical_for_the_topic_shape(topic, scripts):
    s = scripts[topic]
    _, hook, title = TOPICS[topic]
    assert s.hook.narration == hook
    assert s.title == title
    assert spoken_seconds(s.hook.narration, s.words_per_minute) <= HOOK_MAX_SECONDS
    assert len(s.hook.narration) <= HOOK_MAX_CHARS


def test_no_body_sentence_is_shared_between_topics(scripts):
    seen: dict[str, str] = {}
    for topic, s in scripts.items():
        for b in (b for b in s.beats if b.kind == "body"):
            masked = re.sub(r"\W+", " ", b.narration.lower())
            assert masked not in seen, f"{topic!r} and {seen[masked]!r} share {b.narration!r}"
            seen[masked] = topic
    assert len(seen) >= 4 * len(scripts)


def _clauses(text: str) -> set[str]:
    return {c.strip(" .").lower() for c in re.split(r"[,;:]\s+|\s+(?:but|yet|so|and)\s+", text) if c.strip(" .")}


@pytest.mark.parametrize("topic", list(TOPICS))
def test_the_body_never_says_the_hook_again(topic, scripts):
    s = scripts[topic]
    hook = s.hook.narration.rstrip(".?").lower()
    for b in (b for b in s.beats if b.kind == "body"):
        assert hook not in _clauses(b.narration), (s.hook.narration, b.narration)


PURR = ("A purr starts in the voice box, where tiny muscles twitch twenty to thirty times every second.",
        "Cats purr when they are happy, but also when they are hurt, scared or giving birth.",
        "Mother cats purr to guide blind newborn kittens, and kittens purr back within days.",
        "Some scientists think the low hum helps bones and muscles heal, a built in repair kit.")


def test_a_hook_taken_from_a_body_fact_leaves_that_fact_out_when_enough_facts_remain():
    extra = ("Only two cats in every thousand never purr at all, even when they are happy and content.",
             "A cat's purr has a low, steady pitch that stays the same whether it breathes in or out.")
    points = ("An adult cat has thirty teeth.",) + PURR + extra
    s = write_offline_script(CHANNEL, "Why cats purr", TopicSeed("Why cats purr", points=points))
    assert s.hook.narration == "An adult cat has thirty teeth."
    bodies = [b.narration for b in s.beats if b.kind == "body"]
    assert not any("thirty teeth" in b for b in bodies) and len(bodies) >= 4 and check_script(s) == []


def test_a_hook_from_the_leading_clause_of_a_needed_fact_is_cut_from_that_beat():
    # four facts, each needed: the hook's fact keeps only what follows its first clause
    channel = parse_channels({"channels": [{"name": "t", "title": "Test Channel", "niche": "science",
                                            "topics": ["x"], "target_seconds": {"min": 20, "max": 58}}]}).get("t")
    points = ("An octopus has three hearts, and octopus blood is blue with copper based hemocyanin.",) + PURR[1:]
    s = write_offline_script(channel, "Octopus hearts", TopicSeed("Octopus hearts", points=points))
    bodies = [b.narration for b in s.beats if b.kind == "body"]
    assert s.hook.narration == "An octopus has three hearts."
    assert bodies[0] == "Octopus blood is blue with copper based hemocyanin." and len(bodies) == 4
    assert check_script(s) == []
    # what is left would lean on the cut clause ("them", "it"): the fact stays whole and the topic opens instead
    points = ("An octopus has three hearts, and two of them stop beating while it swims.",) + PURR[1:]
    s = write_offline_script(channel, "Octopus hearts", TopicSeed("Octopus hearts", points=points))
    assert s.hook.narration == "Octopus hearts, explained."
    assert [b.narration for b in s.beats if b.kind == "body"][0] == points[0]


@pytest.mark.parametrize("topic, hook", [
    ("The dancing plague of 1518", "The dancing plague of fifteen eighteen."),  # the year is said, not read out
    ("The great emu war", "The great emu war, explained."),
    ("The Great Wall of China", "The Great Wall of China, explained."),
    ("The Treaty of Versailles in 1919", "The Treaty of Versailles, explained."),  # cut only because it must be
    ("Why leaves change color in autumn", "Here's why leaves change color."),  # never the bare "Why leaves ..."
    ("The man who sold the Eiffel Tower", "The man who sold the Eiffel Tower."),
])
def test_topic_hooks_keep_the_article_and_qualifier_when_they_fit(topic, hook):
    line = fitting_hook(topic_shape(topic), 5, CHANNEL.words_per_minute)
    assert line == hook
    assert spoken_seconds(line, CHANNEL.words_per_minute) <= HOOK_MAX_SECONDS and len(line) <= HOOK_MAX_CHARS


def test_promises_are_phrased_for_the_shape_and_vary_between_topics(scripts):
    promises = {t: s.beats[1].narration for t, s in scripts.items()}
    assert "steps" in promises["How to brew green tea"]
    assert "moments" in promises["The history of the bicycle"]
    assert promises["Do fish sleep?"].startswith("Do fish sleep? ")  # after a fact hook it asks the question
    assert "from the source" not in " ".join(promises.values())
    assert len(set(promises.values())) >= 10, promises
    assert all(len(p.split()) <= 9 for p in promises.values()), promises


def test_title_description_and_tags_come_from_the_content(scripts):
    s = scripts["Marie Curie"]
    assert {"nobel", "polonium"} <= set(s.tags)
    assert "polonium and radium" in s.description and "Source: " in s.description


def test_no_facts_and_no_model_is_a_clear_refusal():
    with pytest.raises(NoGroundingError) as e:
        write_offline_script(CHANNEL, "Quantum computing")
    text = str(e.value)
    assert "never fills a video with generic sentences" in text
    for fix in ("points:", "source: FILE|URL", "--source", "narrative", "inbox", "OPENAI_API_KEY",
                "OPENAI_BASE_URL", "Ollama"):
        assert fix in text, fix


def test_a_long_odd_topic_still_gets_a_hook_said_in_3_seconds():
    for topic in ("../../etc/passwd " * 6, "How to ask for a raise at work " * 7, "A" * 200,
                  "The " + "very " * 40 + "long war of 1870"):
        s = write_offline_script(CHANNEL, topic.strip(), TopicSeed(topic="x", source=str(FIXTURES / "tardigrades.txt")))
        hook = s.hook.narration
        assert spoken_seconds(hook, s.words_per_minute) <= HOOK_MAX_SECONDS - 0.2 and len(hook) <= HOOK_MAX_CHARS
        assert "/" not in hook and ".." not in hook, hook  # a voice would spell symbols out
        assert check_script(s) == []
        line = fitting_hook(topic_shape(topic), 5, s.words_per_minute)  # the topic line, whatever the facts
        assert spoken_seconds(line, s.words_per_minute) <= HOOK_MAX_SECONDS - 0.2 and len(line) <= HOOK_MAX_CHARS


def test_too_few_facts_name_the_fix():
    seed = TopicSeed(topic="Cats", points=("Cats purr when they are content and also when they are hurt.",))
    with pytest.raises(Exception) as e:
        write_offline_script(CHANNEL, "Cats", seed)
    assert "points" in e.value.field and "at least 4 facts" in e.value.fix


# -- sources ---------------------------------------------------------------------------------

ARTICLE = """<!doctype html><html><head><title>Lightning, explained</title></head><body>
<nav><a href="/">Home</a> | <a href="/shop">Shop</a> | <a href="/login">Log in</a></nav>
<article><h1>How lightning forms</h1>
<p>Lightning forms when ice crystals and soft hail collide inside a thundercloud and separate electric charge.</p>
<p>The top of the cloud becomes positively charged while the bottom becomes negatively charged.</p>
<p>A lightning bolt heats the air around it to about thirty thousand degrees Celsius, hotter than the surface of the Sun.</p>
<p>The sudden heating makes the air expand explosively, and that shock wave is the thunder we hear.</p>
<p>Light travels much faster than sound, so you see the flash before you hear the thunder.</p>
<p>Counting the seconds between flash and thunder and dividing by three gives the distance in kilometers.</p>
</article>
<footer>Subscribe to our newsletter for weekly deals. Cookie settings. Copyright 2026 Example Media.</footer>
</body></html>"""


@pytest.fixture
def loopback_page():
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = ARTICLE.encode()
            self.send_response(200 if self.path == "/lightning" else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_html_page_on_loopback_gives_its_main_text_and_a_grounded_script(loopback_page):
    src = load_source(loopback_page + "/lightning", timeout_s=5)
    assert src.kind == "html" and "thirty thousand degrees" in src.text
    assert "newsletter" not in src.text and "Shop" not in src.text  # boilerplate dropped
    s = write_offline_script(CHANNEL, "How lightning forms",
                             TopicSeed(topic="How lightning forms", source=loopback_page + "/lightning"))
    assert any("thirty thousand degrees" in b.narration for b in s.beats if b.kind == "body")
    assert not any("newsletter" in b.narration.lower() for b in s.beats)
    with pytest.raises(Exception) as e:
        load_source(loopback_page + "/missing", timeout_s=5)
    assert "HTTP 404" in str(e.value)


def minimal_pdf(lines: list[str]) -> bytes:
    """A real one-page PDF (Helvetica text), written by hand so the test needs no PDF writer."""
    def esc(t: str) -> str:
        return t.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    content = "BT /F1 11 Tf 40 800 Td 14 TL " + " ".join(f"({esc(x)}) Tj T*" for x in lines) + " ET"
    objs = ["<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
            "/Resources << /Font << /F1 5 0 R >> >> >>",
            f"<< /Length {len(content)} >>\nstream\n{content}\nendstream",
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out, offsets = b"%PDF-1.4\n", []
    for i, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n{body}\nendobj\n".encode()
    xref = len(out)
    out += f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{o:010d} 00000 n \n" for o in offsets).encode()
    out += f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out


def test_pdf_text_is_extracted(tmp_path):
    lines = [line + "." if not line.endswith(".") else line
             for line in (FIXTURES / "tardigrades.txt").read_text().splitlines()]
    pdf = tmp_path / "tardigrades.pdf"
    pdf.write_bytes(minimal_pdf(lines))
    src = load_source(str(pdf))
    assert src.kind == "pdf" and "FOTON-M3" in src.text
    s = write_offline_script(CHANNEL, "Tardigrades", TopicSeed(topic="Tardigrades", source=str(pdf)))
    assert any("absolute zero" in b.narration for b in s.beats if b.kind == "body")


def test_markdown_is_read_as_prose():
    src = load_source(str(FIXTURES / "how-to-brew-green-tea.md"))
    assert src.kind == "markdown" and src.title == "Brewing green tea"
    assert "#" not in src.text and src.text.startswith("Green tea tastes bitter")


def test_bad_sources_name_the_field_and_fix(tmp_path):
    with pytest.raises(Exception) as e:
        load_source(str(tmp_path / "nope.txt"), field="channels (c).topics (x).source")
    assert e.value.field == "channels (c).topics (x).source" and "does not exist" in str(e.value)
    binary = tmp_path / "b.txt"
    binary.write_bytes(b"\x00\x01\x02" * 100)
    with pytest.raises(Exception) as e:
        load_source(str(binary))
    assert "binary" in str(e.value)
    with pytest.raises(Exception) as e:
        load_source("http://127.0.0.1:9/none", timeout_s=2)
    assert "failed" in str(e.value) or "longer than" in str(e.value)


def test_trend_topics_without_facts_are_refused_unless_a_model_is_configured(monkeypatch):
    from pipeline_defs.resources.script_writer import ungrounded_reason
    from shortsmith.config import parse_channels as parse

    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    ch = parse({"channels": [{"name": "c", "niche": "n", "topics": ["x"],
                              "providers": {"script": ["openai", "offline"]}}]}).get("c")
    reason = ungrounded_reason(ch, "Quantum computing", None)
    assert reason and "no facts" in reason and "OPENAI_BASE_URL" in reason
    assert ungrounded_reason(ch, "x", TopicSeed("x", points=("A fact.",))) is None
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:11434/v1")
    assert ungrounded_reason(ch, "Quantum computing", None) is None
