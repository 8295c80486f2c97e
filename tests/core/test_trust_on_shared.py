"""The skeleton on real footage from ../shared (skipped when it is absent), measured as
benchmarks/trust.py does, with a margin: a fast jumping jack is followed, not trailed, and its
counted angle at each labelled turning point is right.

The previous default filter trailed this clip's limbs by 8x (one person) and 41x (two) of
MediaPipe's own deviation; the targets are 1.0x, here checked at 1.3x.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.fixture(scope="module")
def trust(shared_data: Path):
    sys.path.insert(0, str(BENCHMARKS))
    try:
        import trust
        import trust_data
    finally:
        sys.path.remove(str(BENCHMARKS))
    return trust, trust_data


@pytest.fixture(scope="module")
def jumping_jack(trust, model, tmp_path_factory):
    bench, data = trust
    (clip,) = data.all_clips(["jumpingjack_front_01"])
    det = data.load_or_record(clip, model, tmp_path_factory.mktemp("trust"))
    return det, bench.build_reference(det)


@pytest.mark.parametrize("num_poses", [1, 2])
def test_fast_limbs_are_followed_and_rep_angles_are_right(trust, jumping_jack, num_poses) -> None:
    bench, _ = trust
    det, ref = jumping_jack
    scores = {
        mode: bench.score(det, ref, bench.run_smoother(det, mode, num_poses, 0.5))
        for mode in ("none", "kalman")
    }
    kalman, none = scores["kalman"], scores["none"]
    assert kalman.fast <= 1.3 * none.fast, (kalman.fast, none.fast)
    assert len(kalman.angle_errors) == 8  # the labelled turning points
    assert all(abs(e) <= 6.0 for e in kalman.angle_errors), kalman.angle_errors
    assert kalman.duplicates == 0 and kalman.ghosts == 0 and kalman.id_switches == 0
    assert kalman.missed <= 0.05 * kalman.reference


@pytest.mark.parametrize("num_poses", [1, 2])
def test_looking_ahead_as_the_window_and_annotate_do_follows_fast_limbs_closer(
    trust, jumping_jack, num_poses
) -> None:
    # benchmarks/trust.py, fastest fifth against none with one / two wanted, MediaPipe
    # following the one (2026-12-07): the filter alone 1.07x / 1.15x, the window a frame ahead
    # 1.01x / 0.78x, annotate a tenth of a second ahead 0.98x / 0.71x.
    bench, _ = trust
    det, ref = jumping_jack
    # With one person, run_smoother lets MediaPipe follow them (as --mediapipe-tracking does),
    # for which annotate looks a tenth of a second ahead, as it does for two.
    frames = bench.annotate_frames(det, finds_afresh=False)
    assert bench.window_frames(det) == 1 and frames == 2  # 24 fps

    def drawn(frames: int, mode: str = "kalman"):
        return bench.score(det, ref, bench.run_smoother(det, mode, num_poses, 0.5, frames))

    none, alone = drawn(0, "none"), drawn(0)
    window = drawn(bench.window_frames(det))
    annotate = drawn(frames)
    for ahead in (window, annotate):
        assert ahead.fast < alone.fast and ahead.p95 < alone.p95
        assert ahead.fast <= 1.05 * none.fast, (ahead.fast, none.fast)
        assert all(abs(e) <= 5.0 for e in ahead.angle_errors), ahead.angle_errors
    assert annotate.fast < window.fast


def test_a_limb_seen_in_a_few_foreshortened_frames_is_judged_by_its_mirror(
    trust, jumping_jack
) -> None:
    # Seen side on, the far arm is hidden; squat_side_02's is seen in 2 frames, foreshortened,
    # and an upper arm drawn at a normal length was counted implausible against those.
    bench, _ = trust
    det, ref = jumping_jack
    side_on = det.reference_px.copy()
    side_on[2:, 13, 3] = 0.0  # the left elbow seen in the first two frames only ...
    side_on[:2, 13, :2] = side_on[:2, 11, :2] + 5.0  # ... pointing at the camera
    hidden = bench.build_reference(dataclasses.replace(det, reference_px=side_on))
    left, right = bench.LIMB_BONES.index((11, 13)), bench.LIMB_BONES.index((12, 14))
    assert hidden.bone_max[left] == hidden.bone_max[right]
    assert hidden.bone_max[left] >= 0.9 * ref.bone_max[right]
    drawn = bench.score(det, hidden, bench.run_smoother(det, "none", 2, 0.5))
    assert drawn.implausible == 0
