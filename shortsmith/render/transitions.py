"""A transition per cut: cut, crossfade, glitch or slide, in the one filter graph.

The timeline (:mod:`.timeline`) gives every cut the same overlap of ``xf`` frames (the tail
of the outgoing scene and the head of the incoming one, centred on the cut), so the choice
of transition changes only the filters applied to that overlapping pair, never the frame
count or where the scenes are:

* ``crossfade`` (and ``""``): ``xfade`` with the render's transition (``fade``), as for a Short;
* ``slide``: ``xfade=slideleft``: the incoming scene pushes in from the right;
* ``cut``: the first half of the pair from the outgoing scene, the second half from the
  incoming one (a hard cut in the middle of the overlap, where the plain crossfade is centred);
* ``glitch``: the same hard cut, and on the few frames around it (about 0.2 s): RGB channel
  split (``rgbashift``, two different offsets that jump), static (``noise``, per frame) and
  two horizontal bands torn sideways (``crop`` + ``overlay`` at positions that change every
  frame). Only the overlap's frames pass through these filters.
"""

from __future__ import annotations

from ..errors import InputError
from .graph import transition_chains

TRANSITIONS = ("cut", "crossfade", "glitch", "slide")


def check_transitions(transitions: list[str], where: str = "script.beats") -> list[str]:
    """The transitions normalised ("" -> crossfade); a clear error for an unknown one."""
    out = []
    for i, name in enumerate(transitions):
        name = (name or "crossfade").strip().lower()
        if name not in TRANSITIONS:
            raise InputError(f"unknown transition {name!r} into beat {i}", field=f"{where}[{i}].transition",
                             fix=f"use one of: {', '.join(TRANSITIONS)}")
        out.append(name)
    return out


def glitch_filters(frames: int, width: int, height: int, *, seed: int = 0) -> str:
    """Filters (a comma-joined chain, input and output yuv420p) that glitch the frames around
    the middle of a ``frames``-long pair whose hard cut is at frame ``frames // 2``."""
    c = frames // 2
    lo, hi = max(0, c - 3), min(frames - 1, c + 2)
    s = max(4, round(width * 0.02))  # channel split, px (22 at 1080 wide)
    band = max(8, round(height * 0.06))
    tear = max(6, round(width * 0.05))
    k1, k2 = 137 + 31 * seed, 211 + 17 * seed
    room = max(1, height - band)
    y1 = f"mod(n*{k1}+{seed * 97},{room})"
    y2 = f"mod(n*{k2}+{seed * 53 + room // 2},{room})"
    on = f"between(n,{lo},{hi})"
    core = f"between(n,{max(lo, c - 1)},{min(hi, c)})"
    return (
        "format=gbrp,"
        f"rgbashift=rh={-s}:bh={s}:edge=smear:enable='{on}',"
        f"rgbashift=rv={s // 2}:gh={-s // 2}:edge=smear:enable='{core}',"
        f"noise=alls=45:allf=t+u:enable='{on}',"
        "split=3[gm{seed}][ga{seed}][gb{seed}];"
        f"[ga{seed}]crop=w=iw:h={band}:x=0:y='{y1}'[gA{seed}];"
        f"[gb{seed}]crop=w=iw:h={band}:x=0:y='{y2}'[gB{seed}];"
        f"[gm{seed}][gA{seed}]overlay=x={tear}:y='{y1}':eval=frame:enable='{on}'[gm2{seed}];"
        f"[gm2{seed}][gB{seed}]overlay=x={-tear // 2}:y='{y2}':eval=frame:enable='{core}',"
        "scale=out_color_matrix=bt709:out_range=tv,format=yuv420p"
    ).replace("{seed}", str(seed))


def _pair_chain(i: int, kind: str, d: int, fps: int, width: int, height: int, default: str) -> list[str]:
    """Chains from [T{i-1}][H{i}] (``d`` frames each) to [F{i}] (``d`` frames)."""
    tb = f"settb=1/{fps},setpts=PTS-STARTPTS"
    pair = f"[T{i - 1}][H{i}]"
    if kind in ("crossfade", "slide"):
        name = default if kind == "crossfade" else "slideleft"
        return [f"{pair}xfade=transition={name}:duration={d / fps:.6f}:offset=0,format=yuv420p,{tb}[F{i}]"]
    half = d // 2
    chains = [
        f"[T{i - 1}]trim=end_frame={half},{tb}[Ta{i}]",
        f"[H{i}]trim=start_frame={half},{tb}[Hb{i}]",
    ]
    joined = f"[Ta{i}][Hb{i}]concat=n=2:v=1:a=0,{tb}"
    if kind == "cut" or d < 4:
        chains.append(f"{joined}[F{i}]")
        return chains
    # glitch: the filter string holds its own labelled sub-chains (split/overlay)
    chains.append(f"{joined},{glitch_filters(d, width, height, seed=i)},{tb}[F{i}]")
    return chains


def join_scenes(scene_frames: list[int], xf_frames: int, transitions: list[str] | None, fps: int,
                width: int, height: int, *, default: str = "fade", out_label: str = "[vcat]") -> list[str]:
    """Join the scene streams ``[s{i}]`` into ``out_label`` with the transition into each scene.

    Without transitions (or all crossfades) this is exactly :func:`.graph.transition_chains`.
    ``transitions[i]`` is the transition into scene ``i`` (``transitions[0]`` is unused).
    """
    k = len(scene_frames)
    kinds = check_transitions(list(transitions or []))
    kinds += ["crossfade"] * (k - len(kinds))
    d = xf_frames
    if k == 1 or d == 0 or all(kind == "crossfade" for kind in kinds[1:k]):
        return transition_chains(scene_frames, d, default, fps, out_label=out_label)
    chains = transition_chains(scene_frames, d, default, fps, out_label=out_label)
    # replace the crossfades (the chains that read [T{i-1}][H{i}]) by each cut's own transition
    out: list[str] = []
    for chain in chains:
        if chain.startswith("[T") and "xfade=" in chain:
            i = int(chain.split("][H", 1)[1].split("]", 1)[0])
            out += _pair_chain(i, kinds[i], d, fps, width, height, default)
        else:
            out.append(chain)
    return out
