"""A URL line dropped into the inbox becomes a reference partition and a reference_intake run (issue 14)."""

from __future__ import annotations

import dagster as dg
import pytest

from pipeline_defs.sensors.inbox import narrative_inbox_sensor
from shortsmith.errors import InputError
from shortsmith.intake.inbox_lines import parse_url_file
from shortsmith.intake.references import reference_key
from tests.pipeline.test_automation import NARRATIVE, drop, env, inbox_files, setup, tick  # noqa: F401 - env: fixture


@pytest.fixture
def box(env):  # noqa: F811 - env is the fixture imported above
    with dg.instance_for_test() as instance:
        yield setup(env, instance)


def test_url_files_become_reference_runs_beside_narratives(box):
    drop(box, "talk.url", "[InternetShortcut]\nURL=https://media.example/talks/bees.mp4\nIconIndex=0\n")
    drop(box, "clip-me.txt", "https://media.example/watch?v=abc channel=curious-minds count=2 rights=owned\n")
    drop(box, "story.md", NARRATIVE)
    drop(box, "bad-scheme.txt", "ftp://media.example/talk.mp4\n")
    drop(box, "bad-channel.txt", "https://media.example/x.mp4\nchannel: no-such-channel\n")
    result = tick(narrative_inbox_sensor, box)

    by_job = sorted((r.job_name, r.partition_key) for r in result.run_requests)
    talk, clip = reference_key("https://media.example/talks/bees.mp4"), reference_key(
        "https://media.example/watch?v=abc")
    assert by_job == sorted([("reference_intake", talk), ("reference_intake", clip),
                             ("make_video", "curious-minds--the-lighthouse-keeper-s-cat")])
    assert box.instance.has_dynamic_partition("references", talk)
    assert box.instance.has_dynamic_partition("videos", "curious-minds--the-lighthouse-keeper-s-cat")
    record = box.store.read_record("references", clip)
    assert record == {"source": "https://media.example/watch?v=abc", "rights": "owned",
                      "clips": {"channel": "curious-minds", "count": 2, "requested_by": "inbox"}}
    assert box.store.read_record("references", talk)["rights"] == ""

    rejected = sorted(p.name for p in (box.inbox / "rejected").iterdir())
    reports = {n: (box.inbox / "rejected" / n).read_text() for n in rejected if n.endswith(".error.txt")}
    assert len(reports) == 2
    text = "\n".join(reports.values())
    assert "scheme 'ftp://' is not allowed" in text and "no-such-channel" in text and "Fix:" in text
    assert inbox_files(box) == []


@pytest.mark.parametrize("text, message", [
    ("", "has no URL line"),
    ("https://a.example/x.mp4\nhttps://b.example/y.mp4", "more than one source"),
    ("https://a.example/x.mp4 colour=red", "not one of"),
    ("https://a.example/x.mp4\nmode: clip", "needs a channel"),
    ("https://a.example/x.mp4\nchannel: c\ncount: 50", "outside 1..10"),
    ("/home/me/talk.mp4", "is a local path"),
    ("https://a.example/x.mp4\nrights: borrowed", "rights 'borrowed' is not known"),
])
def test_bad_url_lines_say_what_to_fix(text, message):
    with pytest.raises(InputError, match=message) as err:
        parse_url_file(text, name="x.txt")
    assert err.value.fix
