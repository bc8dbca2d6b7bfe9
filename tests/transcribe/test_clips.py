"""Long video -> Shorts: highlights on sentence boundaries, a crop that follows the face, the rendered clip."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest

from shortsmith.clips.highlights import MAX_S, MIN_S, choose, score_window
from shortsmith.clips.reframe import Detection, crop_path, detect_faces
from shortsmith.errors import InputError
from shortsmith.ffmpeg import ffmpeg_path, probe
from shortsmith.transcribe import Transcript, Word, load_audio


def _transcript(sentences: list[str], wps: float = 2.5, gap: float = 0.4) -> Transcript:
    words, t = [], 0.0
    for s in sentences:
        for w in s.split():
            words.append(Word(w, round(t, 3), round(t + 0.8 / wps, 3)))
            t += 1 / wps
        t += gap
    return Transcript(words, [], "en", 1.0, round(t, 3))


def test_score_prefers_a_standalone_hook_over_a_connective_opening():
    body = "Copper carries oxygen through the blood of many marine animals living in cold deep water."
    q = _transcript(["Why is octopus blood blue?", body])
    a = _transcript(["And that is why it is so.", body])
    sq, tq = score_window(q.sentences(), q, None, 0.0)
    sa, ta = score_window(a.sentences(), a, None, 0.0)
    assert tq["hook"] > 0 and ta["context"] < 0 and sq > sa


def test_highlights_cut_on_sentences_within_bounds(talk, local_transcript):
    t = local_transcript
    audio = load_audio(talk["wav"])
    two = choose(t, 2, audio=audio)
    assert len(two) == 2 and two[0].end <= two[1].start + 0.2
    sentence_starts = {s.start for s in t.sentences()}
    sentence_ends = {s.end for s in t.sentences()}
    for h in two:
        assert MIN_S <= h.duration <= MAX_S + 1
        first, last = t.sentences()[h.first_sentence], t.sentences()[h.last_sentence]
        assert first.start in sentence_starts and last.end in sentence_ends
        assert h.start <= first.start and h.end >= last.end  # the padding never cuts a word
        assert h.end - last.end <= 0.36 and first.start - h.start <= 0.16
    with pytest.raises(InputError) as err:
        choose(t, 1, min_s=70, max_s=90)
    assert err.value.field == "source" and "70-90 s" in str(err.value)


def test_crop_follows_a_moving_face_and_centres_without_one(talk):
    det = detect_faces(talk["mp4"], 5.0, 20.0, 1280, 720, sample_fps=2)
    found = [d for d in det if d.cx is not None]
    assert len(found) >= 0.8 * len(det)
    # the drawn face centre moves 150 -> 1130 px over the talk
    for d in found:
        truth = 150 + 980 * (5.0 + d.t) / talk["duration"]
        assert abs(d.cx - truth) < 40
    path = crop_path(det, src_w=1280, src_h=720, duration=20.0)
    assert (path.crop_w, path.crop_h) == (404, 720) and len(path.xs) == 600
    steps = np.diff(path.xs)
    assert path.xs[-1] - path.xs[0] > 300 and -steps[steps < 0].sum() <= 0.03 * steps[steps > 0].sum()
    assert max(abs(b - a) for a, b in zip(path.xs, path.xs[1:])) <= 0.35 * 1280 / 30 + 1  # speed cap
    for t in (2.0, 10.0, 18.0):  # the face stays inside the crop
        truth = 150 + 980 * (5.0 + t) / talk["duration"]
        assert abs(path.centre_at(t) - truth) < 100
    empty = crop_path([Detection(t / 2, None) for t in range(10)], src_w=1280, src_h=720, duration=5.0)
    assert set(empty.xs) == {(1280 - 404) // 2} and empty.found == 0.0
    # a face lost for good drifts back to the centre
    lost = crop_path([Detection(0.0, 200.0)] + [Detection(t / 2, None) for t in range(1, 20)], src_w=1280, src_h=720,
                     duration=10.0)
    assert lost.xs[0] == 0 and lost.xs[-1] == (1280 - 404) // 2


@pytest.mark.slow
def test_rendered_clip_is_a_captioned_vertical_short(talk, local_transcript, tmp_path):
    from shortsmith.clips.render import render_clip, segment_voiceover
    from shortsmith.render.settings import RenderSettings

    t = local_transcript
    [h] = choose(t, 1, min_s=20, max_s=24)
    path = crop_path(detect_faces(talk["mp4"], h.start, h.duration, 1280, 720), src_w=1280, src_h=720,
                     duration=h.duration)
    out = tmp_path / "clip.mp4"
    info = render_clip(talk["mp4"], t, h.start, h.end, path, out, settings=RenderSettings(preset="superfast"))
    print(f"\nclip {h.duration:.1f} s rendered in {info['seconds']} s")
    p = probe(out)
    v = next(s for s in p["streams"] if s["codec_type"] == "video")
    assert (v["width"], v["height"]) == (1080, 1920) and any(s["codec_type"] == "audio" for s in p["streams"])
    assert abs(float(p["format"]["duration"]) - h.duration) < 0.15
    assert list(tmp_path.iterdir()) == [out]  # no temporary left behind
    from shortsmith.validate import check_video

    failed = [o for o in check_video(out, width=1080, height=1920, max_duration_s=60) if not o.passed]
    assert not failed, failed  # the checks every Short passes: codecs and colour tags, loudness, size
    vo = segment_voiceover(t, h.start, h.end)
    words = [w for b in vo.beats for w in b.words]
    assert [w.word for w in words] == [w.word for w in t.words if h.start <= w.start < h.end]
    # at a spoken word the caption band holds the highlight colour (#f59e0b); none at the top of the frame
    w = words[len(words) // 2]
    frame = subprocess.run([ffmpeg_path(), "-v", "error", "-ss", f"{(w.start + w.end) / 2:.3f}", "-i", str(out),
                            "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"],
                           capture_output=True, check=True).stdout
    img = np.frombuffer(frame, np.uint8).reshape(1920, 1080, 3).astype(int)
    orange = (abs(img[..., 0] - 245) < 40) & (abs(img[..., 1] - 158) < 40) & (img[..., 2] < 80)
    assert orange[int(0.35 * 1920):int(0.70 * 1920)].sum() > 500 and orange[:int(0.3 * 1920)].sum() == 0
    # the face is in the middle third of the vertical frame (the crop followed it)
    skin = (abs(img[..., 0] - 225) < 20) & (abs(img[..., 1] - 180) < 20) & (abs(img[..., 2] - 150) < 20)
    cols = np.nonzero(skin.any(axis=0))[0]
    assert cols.size and 300 < cols.mean() < 780
