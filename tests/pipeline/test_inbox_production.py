"""The inbox takes narrative productions through the same path as `shortsmith narrative`: a good
one becomes a partition whose request carries its segments; a bad one is rejected with a report
that names each problem's line."""

from __future__ import annotations

import pytest

import dagster as dg

from tests.conftest import ROOT
from tests.pipeline.test_automation import drop, env, inbox_files, setup, tick  # noqa: F401 - env is a fixture
from pipeline_defs.sensors.inbox import narrative_inbox_sensor

SAMPLE = (ROOT / "examples" / "the-signal.md").read_text(encoding="utf-8")


@pytest.fixture
def auto(env):  # noqa: F811 - env is the fixture imported above
    with dg.instance_for_test() as instance:
        yield setup(env, instance)


def test_a_production_is_accepted_and_a_bad_one_is_reported_by_line(auto):
    a = auto
    drop(a, "the-signal.md", SAMPLE)
    bad = SAMPLE.replace("# The Signal, part 1", "# The Signal, part 2").replace(
        "OPERATOR: It's not", "JANITOR: It's not").replace("[TRANSITION: glitch]", "[TRANSITION: swirl]")
    drop(a, "part2.md", bad)
    result = tick(narrative_inbox_sensor, a)
    key = "paper-trail--the-signal-part-1"
    assert [r.partition_key for r in result.run_requests] == [key]
    record = a.store.read_record("requests", key)
    production = record["narrative"]["production"]
    assert production["series"] == "the-signal" and production["format"] == "9:16"
    assert [s["speaker"] for s in production["segments"]][:3] == ["NARRATOR", "OPERATOR", "ANALYST"]
    assert inbox_files(a) == []
    report = next((a.inbox / "rejected").glob("*-part2.md.error.txt")).read_text()
    assert "line 11: unknown transition 'swirl'" in report  # found while parsing
    swirl_only = tick(narrative_inbox_sensor, a, result.cursor)
    assert not swirl_only.run_requests
    # with the transition fixed, the unknown speaker is reported with its line, once the channel is known
    drop(a, "part2b.md", bad.replace("[TRANSITION: swirl]", "[TRANSITION: glitch]"))
    again = tick(narrative_inbox_sensor, a, result.cursor)
    assert not again.run_requests
    report = next((a.inbox / "rejected").glob("*-part2b.md.error.txt")).read_text()
    assert "line 8: unknown speaker JANITOR" in report and "Fix: line 8: add JANITOR to the cast" in report


def test_the_narrative_command_reports_problems_by_line_before_any_partition(workdir, monkeypatch, capsys):
    from pipeline_defs.cli import main

    monkeypatch.setenv("DAGSTER_HOME", str(workdir / "dagster_home"))
    bad = workdir / "bad.md"
    bad.write_text("# Night shift\nchannel: curious-minds\n\n[SOUND: a door]\nNARRATOR: Hello.\n", encoding="utf-8")
    assert main(["narrative", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "line 4: unknown direction [SOUND]" in err and "[bad.md: line 4]" in err
    bad.write_text("# Night shift\n\nJANITOR: Hello there.\nGUARD: Who is it?\n", encoding="utf-8")
    assert main(["narrative", str(bad), "--channel", "curious-minds"]) == 2  # not in curious-minds' cast
    err = capsys.readouterr().err
    assert "line 3: unknown speaker JANITOR" in err and "line 4: unknown speaker GUARD" in err
    from pipeline_defs.definitions import defs

    store = defs.resources["storage"].store()
    assert store.read_record("requests", "curious-minds--night-shift") is None  # nothing was requested
