"""Offline scenes a viewer would watch: subjects matched by meaning, layouts chosen by the beat,
variety inside a video, licences and credits (shortsmith.art.subjects/layouts/compose).

Scenes are rendered small (180x320) to keep the suite fast; the composition is size-generic.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from shortsmith.art import VisualStyle, render_thumbnail
from shortsmith.art import subjects as lib
from shortsmith.art.compose import render_planned
from shortsmith.art.layouts import LAYOUTS, find_figure, plan_scene, scene_plans_manifest
from shortsmith.config import load_channels
from shortsmith.errors import ConfigError
from shortsmith.model import Beat
from shortsmith.publish import build_upload_request
from shortsmith.script import write_offline_script
from shortsmith.youtube import insert_body

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).parent / "fixtures"
SIZE = (180, 320)
# Measured with all-MiniLM-L6-v2 (strongest subject among the labels):
# - subject_beats.json, 48 beats (the library's extra words were written while looking at it): 47/48 = 97.9 %
# - subject_beats_heldout.json, 22 beats written afterwards and never tuned on: 19/22 = 86.4 % when first
#   run, 20/22 = 90.9 % after prohibition signs ("no bicycles") left the library.
# - subject_beats_offline.json, 73 body beats of the sample topics as the offline writer makes them (its own
#   vague keywords: "starts", "within", "sooner", and the topic word on every beat): 57/73 = 78.1 % first;
#   64/73 = 87.7 % once a name's non-head words count less ("bullets" is no "train with bullet nose"),
#   ordinals and plurals of number words stay out of the query, and SENSES keeps "seal", "love letter",
#   "turkey" and five more out unless the beat says their cue words; 65/73 = 89.0 % once a cat's expression
#   ("wry smile", "pouting") needs the beat to say a feeling. The other two: 46/48 and 20/22 then (the
#   hand-written "government letters" beat had accepted a love letter; it now gets a factory).
MIN_ACCURACY = {"subject_beats.json": 0.9, "subject_beats_heldout.json": 0.8, "subject_beats_offline.json": 0.82}


def _beat(item: dict) -> Beat:
    kws = item["keywords"]
    prompt = item.get("visual_prompt") or (f"clear illustrative scene, depth and motion: {', '.join(kws)}; "
                                           "aurora style, vertical 9:16")
    return Beat("body", item["narration"], prompt, kws)


@pytest.mark.parametrize("fixture", sorted(MIN_ACCURACY))
def test_subject_matching_on_the_labelled_fixtures(fixture):
    beats = json.loads((FIXTURES / fixture).read_text())["beats"]
    assert len(beats) >= (40 if fixture == "subject_beats.json" else 20)
    names = {s.name for s in lib.library()}
    for item in beats:  # every label names a real subject of the library
        assert set(item["ok"]) <= names, set(item["ok"]) - names
    right = []
    for item in beats:
        picked, method = lib.pick(_beat(item))
        assert method == "minilm"
        assert 1 <= len(picked) <= 3
        right.append(picked[0].subject.name in item["ok"])
    accuracy = sum(right) / len(right)
    missed = [b["keywords"] for b, r in zip(beats, right) if not r]
    assert accuracy >= MIN_ACCURACY[fixture], f"{accuracy:.3f}: missed {missed}"


def test_the_library_is_large_and_publishable():
    subjects = lib.library()
    assert len(subjects) > 1400
    assert {s.licence for s in subjects} == {"CC-BY-4.0"}
    art = lib.render_subject(subjects[0], 96)
    assert art.size == (96, 96) and art.mode == "RGBA"
    assert 0 < np.asarray(art.getchannel("A")).mean() < 255  # a drawing, not an empty or full square


def test_share_alike_or_unknown_licences_are_refused():
    ok = lib.library()[0]
    for licence in ("CC-BY-SA-4.0", "unknown", ""):
        bad = lib.Subject(code=ok.code, char=ok.char, name="openmoji cat", category="", subcategory="",
                          licence=licence, source="openmoji")
        with pytest.raises(ConfigError, match="may not use"):
            lib.check_licence(bad)
        with pytest.raises(ConfigError):
            lib.credits_for([bad])
        with pytest.raises(ConfigError):
            lib.render_subject(bad, 32)
    assert lib.credits_for([ok, ok]) == [lib.TWEMOJI_CREDIT]


def test_the_credit_line_goes_into_the_description():
    channel = load_channels(ROOT / "channels.yaml").channels[0]
    script = write_offline_script(channel, channel.topics[0].topic, channel.topics[0])
    body = build_upload_request(script, channel, [lib.TWEMOJI_CREDIT])
    desc = body["snippet"]["description"]
    assert desc.startswith(script.description.strip()) and desc.endswith(lib.TWEMOJI_CREDIT)
    assert build_upload_request(script, channel, [lib.TWEMOJI_CREDIT, lib.TWEMOJI_CREDIT])["snippet"][
        "description"].count("Twemoji") == 1
    assert "Twemoji" not in build_upload_request(script, channel)["snippet"]["description"]
    # the YouTube upload body carries it too
    assert insert_body(script, channel, credits=[lib.TWEMOJI_CREDIT])["snippet"]["description"].endswith(
        lib.TWEMOJI_CREDIT)


@pytest.mark.parametrize("text, value, unit", [
    ("A purr starts where tiny muscles twitch twenty to thirty times every second.", "20\u201330",
     "times every second"),
    ("In nineteen thirty two, farmers asked the army for help.", "1932", ""),
    ("Soldiers arrived with ten thousand rounds of ammunition.", "10,000", "rounds of ammunition"),
    ("Today people drink about two billion cups of coffee every single day.", "2 BILLION", "cups of coffee"),
    ("In the next 45 seconds you'll know more.", "45", "seconds"),
    ("It grew 40% in a year.", "40%", "in a year"),
])
def test_figures_are_found_in_what_the_beat_says(text, value, unit):
    fig = find_figure(text)
    assert fig is not None and (fig.value, fig.unit) == (value, unit)


@pytest.mark.parametrize("text", ["Within days France declared war.", "He had two dogs and one cat."])
def test_small_counts_are_not_figures(text):
    assert find_figure(text) is None


def _dhash(img: Image.Image, n: int = 16) -> np.ndarray:
    g = np.asarray(img.convert("L").resize((n + 1, n), Image.BILINEAR), np.int16)
    return (g[:, 1:] > g[:, :-1]).ravel()


def _video(channel, seed, style):
    script = write_offline_script(channel, seed.topic, seed)
    plans, images = [], []
    for i, beat in enumerate(script.beats):
        plan = plan_scene(beat, [p.to_dict() for p in plans])
        plans.append(plan)
        images.append(render_planned(beat, plan, style=style, seed=seed.topic, index=i, total=len(script.beats),
                                     size=SIZE))
    return script, plans, images


def _bottom(img: Image.Image) -> tuple[np.ndarray, np.ndarray]:
    """The bottom third of a scene (below the stage and most of the captions): its 128-bit
    difference hash and a 16x8 colour thumbnail."""
    w, h = img.size
    small = img.crop((0, h * 2 // 3, w, h)).resize((17, 8), Image.BILINEAR)
    g = np.asarray(small.convert("L"), np.int16)
    return (g[:, 1:] > g[:, :-1]).ravel(), np.asarray(small, np.int16)


def test_every_sample_topic_gets_varied_scenes_without_near_duplicates():
    """For each sample topic in channels.yaml: >= 3 layout kinds, no subject in two consecutive
    scenes, and no two scenes of the video near-duplicates: a 256-bit difference hash differing in
    fewer than 15 % of its bits (the usual "10 of 64 bits" criterion). Scenes of different layouts
    also differ below the subject: their bottom thirds are never alike in both structure (hash
    within 15 %) and tone (mean colour difference under 8/255), i.e. layouts bring their own set."""
    config = load_channels(ROOT / "channels.yaml")
    kinds, closest, bottoms = [], 256, []
    for channel in config.channels:
        style = VisualStyle.from_dict({"name": channel.style.name, "palette": list(channel.style.palette)})
        for seed in channel.topics:
            script, plans, images = _video(channel, seed, style)
            layouts = [p.layout for p in plans]
            assert set(layouts) <= set(LAYOUTS)
            assert len(set(layouts)) >= 3, (seed.topic, layouts)
            kinds.append(len(set(layouts)))
            for a, b in zip(plans, plans[1:]):
                assert not {s["code"] for s in a.subjects} & {s["code"] for s in b.subjects}, seed.topic
            for p in plans:
                assert 1 <= len(p.subjects) <= 3 and all(isinstance(s["score"], float) for s in p.subjects)
            hashes = [_dhash(im) for im in images]
            for i in range(len(hashes)):
                for j in range(i + 1, len(hashes)):
                    d = int((hashes[i] != hashes[j]).sum())
                    closest = min(closest, d)
                    assert d > 0.15 * hashes[i].size, (seed.topic, i, j, d)
            lows = [_bottom(im) for im in images]
            for i in range(len(lows)):
                for j in range(i + 1, len(lows)):
                    if plans[i].layout == plans[j].layout:
                        continue
                    bits = int((lows[i][0] != lows[j][0]).sum())
                    tone = float(np.abs(lows[i][1] - lows[j][1]).mean())
                    bottoms.append((bits, tone))
                    assert bits > 0.15 * lows[i][0].size or tone > 8.0, (seed.topic, i, j, bits, tone)
            assert all(im.size == SIZE for im in images)
    assert min(kinds) >= 3
    print(f"layout kinds per video: min {min(kinds)}, mean {sum(kinds) / len(kinds):.1f}; "
          f"closest pair of scenes: {closest}/256 bits; bottom thirds of different layouts: "
          f"fewest differing bits {min(b for b, _ in bottoms)}/128, smallest tone difference "
          f"{min(t for _, t in bottoms):.1f}/255")
    assert closest >= 40  # a margin over the 38.4-bit threshold (42 when measured); keep it when changing sets


# every set a layout can get: (layout, beat kind, variant)
_SETS = [("hero", "hook", 0), ("hero", "body", 1), ("hero", "cta", 0), ("group", "body", 0), ("group", "body", 1),
         ("group", "body", 2), ("closeup", "body", 0), ("figure", "body", 0), ("compare", "body", 0),
         ("steps", "body", 0)]


@pytest.mark.parametrize("look", ["aurora", "paper", "neon", "geometric", "retro-terminal"])
def test_each_layout_set_has_its_own_backdrop(look):
    """Same look, palette, scene and seed: the backdrops of two sets (before any subject is placed)
    are never near-duplicates, so a video's shots do not share one landscape."""
    import random

    from shortsmith.art import stages
    from shortsmith.art.style import _Palette

    palettes = {c.style.name: list(c.style.palette) for c in load_channels(ROOT / "channels.yaml").channels}
    style = VisualStyle.from_dict({"name": look, "palette": palettes[look]} if look in palettes else {"name": look})
    pal = _Palette(style, 3)
    hashes = [_dhash(stages.field(layout, *SIZE, kind, pal, random.Random(7), style, (0.465, 0.22), variant)[0])
              for layout, kind, variant in _SETS]
    for i in range(len(hashes)):
        for j in range(i + 1, len(hashes)):
            d = int((hashes[i] != hashes[j]).sum())
            assert d > 0.1 * hashes[i].size, (look, _SETS[i], _SETS[j], d)


def test_the_call_to_action_shows_the_videos_strongest_subjects_not_literal_matches():
    """ "Follow Paper Trail for more." is about the channel: no roll of toilet paper for "paper";
    the video's strongest subjects (scores added over the scenes they appeared in) come back, with
    the follow bell."""
    channel = next(c for c in load_channels(ROOT / "channels.yaml").channels if c.name == "paper-trail")
    for seed in channel.topics[:3]:
        script, plans, _ = _video(channel, seed, VisualStyle.from_dict({"name": "paper"}))
        cta = [p for b, p in zip(script.beats, plans) if b.kind == "cta"]
        assert cta, seed.topic
        names = [s["name"] for s in cta[-1].subjects]
        assert not {"roll of paper", "paperclip", "page facing up"} & set(names), (seed.topic, names)
        assert names[-1] == "bell"
        earlier: dict[str, float] = {}  # each subject's scores added over the scenes it appeared in
        for p in plans[:-1]:
            for s in p.subjects:
                earlier[s["code"]] = earlier.get(s["code"], 0.0) + s["score"]
        lead = cta[-1].subjects[0]
        assert lead["code"] in earlier
        not_last = {c for c in set(earlier) - {s["code"] for s in plans[-2].subjects}
                    if "flag" not in lib.by_code(c).subcategory}
        assert earlier[lead["code"]] == max(earlier[c] for c in not_last), (seed.topic, names)


@pytest.mark.parametrize("narration, keywords, allowed", [
    ("Six facts, one at a time.", ["six facts", "one at a time"], set()),
    ("Five facts, one at a time.", ["great emu war", "facts"], set()),
    ("French newspapers were furious, and crowds in Paris demanded revenge.", ["newspapers", "paris"],
     {"france flag"}),
    ("In nineteen thirty two, Australian farmers asked the army for help.", ["australian farmers", "army"],
     {"australia flag"}),
])
def test_country_flags_only_when_the_beat_names_the_country(narration, keywords, allowed):
    ranked, _ = lib.rank(Beat("promise", narration, "", keywords), top=12)
    flags = {m.subject.name for m in ranked if m.subject.subcategory == "country-flag"}
    assert flags <= allowed, flags
    penalties = lib.flag_penalties(Beat("body", narration, "", keywords))
    names = [s.name for s in lib.library()]
    for name in allowed:
        assert penalties[names.index(name)] == 0.0  # the named country keeps its flag
    assert penalties[names.index("vietnam flag")] == lib.FLAG_PENALTY
    assert penalties[names.index("austria flag")] == lib.FLAG_PENALTY  # "australian" is not Austria


def test_the_manifest_records_choices_scores_and_credits(tmp_path):
    channel = load_channels(ROOT / "channels.yaml").channels[1]
    seed = channel.topics[0]
    script, plans, _ = _video(channel, seed, VisualStyle.from_dict({"name": "paper"}))
    manifest = scene_plans_manifest([p.to_dict() for p in plans] + [None])  # the last one: a stock clip
    assert len(manifest["subjects"]) == len(plans)
    first = manifest["subjects"][0]
    assert first["layout"] == plans[0].layout and first["subjects"][0]["score"] == plans[0].subjects[0]["score"]
    assert manifest["layouts"][-1] == "" and manifest["asset_credits"] == [lib.TWEMOJI_CREDIT]
    assert scene_plans_manifest([None, None])["asset_credits"] == []


def test_the_thumbnail_shows_the_strongest_subject_large():
    style = VisualStyle.from_dict({"name": "neon"})
    cat = next(s for s in lib.library() if s.name == "cat")
    with_subject = render_thumbnail("Why cats purr", scene=None, style=style, size=(640, 360), subject=cat)
    without = render_thumbnail("Why cats purr", scene=None, style=style, size=(640, 360))
    right = (400, 40, 640, 320)
    a = np.asarray(with_subject.crop(right), np.int16)
    b = np.asarray(without.crop(right), np.int16)
    assert np.abs(a - b).mean() > 20  # the right side changed: the subject is there
    # the cat's orange fur: many warm pixels on the right
    warm = (a[..., 0] > 180) & (a[..., 1] > 100) & (a[..., 2] < 110)
    assert warm.mean() > 0.05
