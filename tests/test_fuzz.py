"""Fuzzing: small real clips of each container (MP4, MKV, WebM, AVI), damaged by a seeded
fuzzer (flipped bytes, a cut, zeroed ranges, a broken box or element header), must never give
a traceback, a hang or a signal; what a run leaves must play, its keypoints ending at the
video's last frame. Hundreds of mutants are decoded here in one child process, and a few dozen
annotated by the real command line; `python benchmarks/fuzz.py` annotates hundreds."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from desktop_app.media.keypoints import JsonKeypointsWriter
from testsupport.fuzzing import (
    CONTAINERS,
    KINDS,
    SEED_FRAMES,
    Outcome,
    decode_in_child,
    elements,
    frames_that_play,
    judge,
    mutant,
    mutants,
    run_annotate,
    seed_clip,
    seed_clips,
)

#: The CI's mutants: the first ones of the benchmark's default seed.
SEED = 0
#: Per container, through the command line: each kind of damage with JSON keypoints, then a
#: flip and a cut with CSV (testsupport.fuzzing.Mutant.keypoints_suffix).
ANNOTATED = 6
#: Per container, decoded only (cheap: no pose model, one process for all).
DECODED = 50


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    return seed_clips(tmp_path_factory.mktemp("seeds"))


def test_a_mutant_is_the_same_file_every_time(clean: dict[str, bytes], tmp_path: Path) -> None:
    # The clips are encoded again from scratch: the same bytes, so the same mutants.
    again = {name: seed_clip(name, tmp_path / f"again.{name}").read_bytes() for name in clean}
    assert again == clean
    for container in CONTAINERS:
        for index in range(len(KINDS)):
            first = mutant(SEED, container, index, clean[container])
            assert first == mutant(SEED, container, index, clean[container])
            assert first.data != clean[container], first.damage
            assert first.kind == KINDS[index]
    assert mutant(SEED, "mp4", 0, clean["mp4"]) != mutant(SEED + 1, "mp4", 0, clean["mp4"])


def test_the_seed_clips_play_whole_and_their_structure_is_found(
    clean: dict[str, bytes], tmp_path: Path
) -> None:
    for container, data in clean.items():
        path = tmp_path / f"seed.{CONTAINERS[container][0]}"
        path.write_bytes(data)
        assert frames_that_play(path) == SEED_FRAMES
    # The headers that box damage breaks: the index, the picture data and their parents.
    names = {name: [e.path for e in elements(name, data)] for name, data in clean.items()}
    assert {"/moov/trak/mdia/minf/stbl/stsz", "/mdat"} <= set(names["mp4"])
    for container in ("mkv", "webm"):
        # Segment > Cluster > SimpleBlock, and Segment > Tracks > TrackEntry.
        assert "/18538067/1F43B675/A3" in names[container]
        assert "/18538067/1654AE6B/AE" in names[container]
    assert "/RIFF:AVI /LIST:movi/00dc" in names["avi"] and "/RIFF:AVI /idx1" in names["avi"]


def test_hundreds_of_mutants_decode_or_are_refused_in_one_line(
    clean: dict[str, bytes], tmp_path: Path
) -> None:
    paths = {}
    for item in mutants(SEED, DECODED * len(CONTAINERS), clean):
        path = tmp_path / f"{item.name}.{item.suffix}"
        path.write_bytes(item.data)
        paths[path] = item
    results = decode_in_child(list(paths), timeout_s=60.0)
    assert set(results) == set(paths)
    failed = {
        f"{paths[path].name} ({paths[path].damage}): {result}"
        for path, result in results.items()
        if not result.startswith(("frames ", "refused after "))
    }
    assert not failed, "\n".join(sorted(failed))
    # The damage reaches the decoder: some mutants are refused and some lose frames.
    assert any(r.startswith("refused") for r in results.values())
    assert any(r.startswith("frames ") and r != f"frames {SEED_FRAMES}" for r in results.values())


@pytest.mark.parametrize("container", list(CONTAINERS))
def test_annotate_on_mutants_never_crashes_and_leaves_playable_files(
    container: str, clean: dict[str, bytes], tmp_path: Path
) -> None:
    todo = [mutant(SEED, container, index, clean[container]) for index in range(ANNOTATED)]
    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = list(pool.map(lambda m: run_annotate(m, tmp_path / m.name), todo))
    failed = [outcome.describe() for outcome in outcomes if outcome.failures]
    assert not failed, "\n\n".join(failed)
    assert {outcome.exit_code for outcome in outcomes} <= {0, 2}


def test_the_judge_sees_an_unplayable_video_and_keypoints_that_end_early(
    clean: dict[str, bytes], tmp_path: Path
) -> None:
    item = mutant(SEED, "mp4", 0, clean["mp4"])
    video, keypoints = tmp_path / "out.mp4", tmp_path / "keypoints.json"
    summary = f"clip.mp4: {SEED_FRAMES} frames, 0 with a person, 30.0 frames/s"
    # A video that plays, with a line of keypoints for every frame but the last.
    video.write_bytes(clean["mp4"])
    with JsonKeypointsWriter(keypoints, {}) as writer:
        for index in range(SEED_FRAMES - 1):
            writer.write(index, index * 1000 / 30, [])
    short = Outcome(item, [], exit_code=0, stdout=summary)
    judge(short, video, keypoints)
    assert short.failures == ["keypoints"]
    # The same video cut in half does not play to its end.
    video.write_bytes(clean["mp4"][: len(clean["mp4"]) // 2])
    broken = Outcome(item, [], exit_code=2, stdout=summary)
    judge(broken, video, keypoints)
    assert "unplayable" in broken.failures
    # A traceback, a signal and an exit code of neither 0 nor 2 are failures too.
    crashed = Outcome(item, [], exit_code=-11, stderr="Traceback (most recent call last):")
    judge(crashed, tmp_path / "none.mp4", tmp_path / "none.json")
    assert crashed.failures == ["signal", "traceback"]
    odd = Outcome(item, [], exit_code=1)
    judge(odd, tmp_path / "none.mp4", tmp_path / "none.json")
    assert odd.failures == ["exit"]


@pytest.mark.parametrize("container", ["mp4", "avi"])
@pytest.mark.parametrize("frames_cut", [2, 3])
def test_a_file_that_counts_its_frames_is_cut_short_by_even_one(
    clean: dict[str, bytes], tmp_path: Path, container: str, frames_cut: int
) -> None:
    """MP4 and AVI count their frames exactly: losing the last few is a cut, exit 2 with the
    frames before it kept, not "1 frame damaged, the rest was read" (the fuzzer found cuts of
    2-3 frames passing so). (A cut inside the very last frame leaves all its packets, one
    short: that is reported as one damaged frame, which it is.)"""
    from desktop_app.errors import InputError
    from desktop_app.media.sources import VideoFileSource

    whole = tmp_path / f"whole.{container}"
    whole.write_bytes(clean[container])
    with VideoFileSource(whole) as source:
        assert sum(1 for _ in source) == SEED_FRAMES and source.damage is None
    # Cut inside the last frames' data: the bytes of the file up to where the wanted last
    # frame's packet ends, found by reading the packets' positions.
    import av

    with av.open(str(whole)) as probe:
        ends = sorted(p.pos + p.size for p in probe.demux(video=0) if p.pos is not None and p.size)
    cut = tmp_path / f"cut.{container}"
    cut.write_bytes(clean[container][: ends[SEED_FRAMES - frames_cut - 1] + 8])
    with pytest.raises(InputError) as caught, VideoFileSource(cut) as source:
        for _ in source:
            pass
    assert "ends early" in str(caught.value)
