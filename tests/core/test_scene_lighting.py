"""Procedural art follows a narrative scene's lighting: low key darker than high key, cold bluer than warm."""

from __future__ import annotations

import numpy as np

from shortsmith.art.lighting import lighting_of
from shortsmith.art.scene import render_scene
from shortsmith.art.style import VisualStyle
from shortsmith.model import Beat


def _render(scene: str) -> np.ndarray:
    beat = Beat(kind="body", narration="The carrier wave repeats.", visual_prompt="a dim control room",
                keywords=["monitors", "control"], speaker="ANALYST", scene=scene)
    img = render_scene(beat, style=VisualStyle(), seed="lighting", index=1, total=3, size=(90, 160))
    return np.asarray(img, np.float32)


def test_the_lighting_of_the_direction_grades_the_scene():
    assert lighting_of("a dim room; camera: push-in; lighting: low key") == "low key"
    plain = _render("a control room")
    low, high = _render("a control room; lighting: low key"), _render("a control room; lighting: high key")
    assert low.mean() < plain.mean() * 0.8 < high.mean() * 0.8
    cold, warm = _render("a control room; lighting: cold fluorescent"), _render("a control room; lighting: warm candle")
    assert cold[..., 2].mean() - cold[..., 0].mean() > warm[..., 2].mean() - warm[..., 0].mean() + 20
    flash = _render("a control room; lighting: lightning flashes")
    assert flash[:40].mean() > plain[:40].mean() + 20  # the wash comes from the top
    assert np.array_equal(plain, _render("a control room; lighting: something unusual"))  # unknown words: as is


def test_a_narratives_scene_direction_chooses_the_subjects_not_its_dialogue():
    from shortsmith.art.layouts import plan_scene

    line = "The message came at 3:07 in the morning."
    rooftop = Beat("body", line, "x", ["rooftop", "antenna"], speaker="NARRATOR",
                   scene="a rooftop antenna array under a storm sky; camera: low angle; lighting: lightning flashes")
    plan = plan_scene(rooftop)
    assert plan.layout != "figure"  # "3:07" in dialogue is not a statistic to show
    assert any("antenna" in s["name"] or "satellite" in s["name"] for s in plan.subjects), plan.subjects
    topic = plan_scene(Beat("body", "About 3,000 antennas went up in 1930.", "x", ["antennas"]))
    assert topic.layout == "figure"  # a topic Short's numbers are still shown as figures
