import numpy as np

from desktop_app.core.render import (
    DEFAULT_STYLE,
    CountLine,
    Style,
    draw_count_panel,
    draw_labels,
    draw_people,
    draw_skeleton,
)
from desktop_app.core.skeleton import LANDMARK_INDEX, BodyPart
from desktop_app.core.tracking import TrackedPerson

LEFT_SHOULDER = LANDMARK_INDEX["left_shoulder"]
LEFT_ELBOW = LANDMARK_INDEX["left_elbow"]
RIGHT_SHOULDER = LANDMARK_INDEX["right_shoulder"]


def person(visibility: float = 1.0) -> np.ndarray:
    """A hand-made pose: two shoulders and a left elbow with `visibility`; the rest unseen."""
    lm = np.zeros((33, 4), np.float32)
    lm[:, :2] = (150.0, 190.0)
    lm[LEFT_SHOULDER] = (100, 50, 0, visibility)
    lm[LEFT_ELBOW] = (100, 150, 0, visibility)
    lm[RIGHT_SHOULDER] = (20, 50, 0, visibility)
    return lm


def test_default_style_is_red_joints_on_white_bones() -> None:
    canvas = np.zeros((200, 200, 3), np.uint8)
    draw_skeleton(canvas, [person()], DEFAULT_STYLE)
    assert tuple(canvas[100, 100]) == (255, 255, 255)  # middle of the upper arm
    assert tuple(canvas[50, 100]) == (255, 0, 0)  # on the shoulder joint
    assert tuple(canvas[180, 180]) == (0, 0, 0)  # nothing drawn elsewhere


def test_changing_a_part_colour_changes_only_that_part() -> None:
    style = DEFAULT_STYLE.with_bone_color(BodyPart.LEFT_ARM, (0, 255, 0))
    canvas = np.zeros((200, 200, 3), np.uint8)
    draw_skeleton(canvas, [person()], style)
    assert tuple(canvas[100, 100]) == (0, 255, 0)  # left upper arm is green now
    assert tuple(canvas[50, 60]) == (255, 255, 255)  # the shoulder line (torso) stays white
    assert DEFAULT_STYLE.bone_colors[BodyPart.LEFT_ARM] == (255, 255, 255)


def test_joints_below_the_visibility_threshold_are_not_drawn() -> None:
    canvas = np.zeros((200, 200, 3), np.uint8)
    draw_skeleton(canvas, [person(visibility=0.3)], Style(visibility_threshold=0.5))
    assert not canvas.any()
    draw_skeleton(canvas, [person(visibility=0.3)], Style(visibility_threshold=0.2))
    assert canvas.any()


def test_thickness_and_radius_are_in_pixels() -> None:
    thin = np.zeros((200, 200, 3), np.uint8)
    thick = np.zeros((200, 200, 3), np.uint8)
    draw_skeleton(thin, [person()], Style(bone_thickness_px=1, joint_radius_px=0))
    draw_skeleton(thick, [person()], Style(bone_thickness_px=9, joint_radius_px=0))
    # Count pixels at least half lit: anti-aliasing adds faint pixels at each edge.
    thin_width = np.count_nonzero(thin[100, :, 0] >= 128)
    thick_width = np.count_nonzero(thick[100, :, 0] >= 128)
    assert thin_width <= 2 and 8 <= thick_width <= 11, (thin_width, thick_width)


def test_non_finite_landmarks_are_skipped() -> None:
    lm = person()
    lm[LEFT_ELBOW, :2] = (np.nan, np.inf)
    canvas = np.zeros((200, 200, 3), np.uint8)
    draw_skeleton(canvas, [lm], DEFAULT_STYLE)
    assert tuple(canvas[100, 100]) == (0, 0, 0)
    assert tuple(canvas[50, 100]) == (255, 0, 0)


def test_joint_angles_are_written_beside_their_joints() -> None:
    from desktop_app.core.angles import JOINT_ANGLES
    from desktop_app.core.render import DEFAULT_STYLE, draw_angles

    canvas = np.zeros((400, 400, 3), np.uint8)
    landmarks = np.zeros((33, 4), np.float32)
    _, knee, _ = JOINT_ANGLES["left_knee"]
    landmarks[knee] = (100, 200, 0, 1)
    draw_angles(canvas, landmarks, {"left_knee": 95.0, "right_knee": float("nan")}, DEFAULT_STYLE)
    # The number sits just right of and above the knee, white (it reads on a red shirt, where
    # the joint colour did not); nothing is written elsewhere.
    near = canvas[170:205, 100:160]
    assert (near.min(axis=-1) > 200).sum() > 10
    assert canvas[:, 200:].max() == 0 and canvas[250:].max() == 0


def tracked(lm: np.ndarray, pid: int = 0, opacity: float = 1.0) -> TrackedPerson:
    return TrackedPerson(
        id=pid,
        landmarks_px=lm,
        raw_landmarks_px=lm,
        world_m=np.zeros((33, 3), np.float32),
        coasting=opacity < 1.0,
        opacity=opacity,
    )


def test_a_fading_person_is_drawn_fainter_and_a_gone_one_not_at_all() -> None:
    shades = []
    for opacity in (1.0, 0.5, 0.0):
        canvas = np.zeros((200, 200, 3), np.uint8)
        draw_people(canvas, [tracked(person(), opacity=opacity)], DEFAULT_STYLE)
        shades.append(int(canvas[100, 100, 1]))  # middle of the white upper arm
    assert shades[0] == 255 and 100 < shades[1] < 155 and shades[2] == 0


def test_ids_are_written_only_when_more_than_one_person_is_shown() -> None:
    lone = np.zeros((200, 400, 3), np.uint8)
    draw_people(lone, [tracked(person())], DEFAULT_STYLE)
    pair = np.zeros((200, 400, 3), np.uint8)
    other = person()
    other[:, 0] += 200
    draw_people(pair, [tracked(person()), tracked(other, pid=1)], DEFAULT_STYLE)
    # Above the shoulders (the highest seen joints, y=50) only the ids are drawn.
    assert lone[:45].max() == 0
    assert pair[:45, :200].max() > 0 and pair[:45, 200:].max() > 0
    hidden = np.zeros((200, 400, 3), np.uint8)
    style = Style(show_ids=False)
    draw_people(hidden, [tracked(person()), tracked(other, pid=1)], style)
    assert hidden[:45].max() == 0


def _lit_width(row: np.ndarray) -> int:
    return int(np.count_nonzero(row.max(axis=-1) >= 128))


def test_bones_grow_with_a_person_who_fills_the_picture() -> None:
    """A person 900 px tall (a 1080p frame, shown at 800 px in the window) gets bones three
    times the set thickness; without `grow_with_person`, exactly as set."""
    lm = np.zeros((33, 4), np.float32)
    lm[:, 3] = 0.0
    lm[LEFT_SHOULDER] = (500, 100, 0, 1)
    lm[LEFT_ELBOW] = (500, 1000, 0, 1)
    grown = np.zeros((1080, 1000, 3), np.uint8)
    fixed = np.zeros((1080, 1000, 3), np.uint8)
    style = Style(bone_thickness_px=2, joint_radius_px=0)
    draw_skeleton(grown, [lm], style)
    draw_skeleton(
        fixed, [lm], Style(bone_thickness_px=2, joint_radius_px=0, grow_with_person=False)
    )
    assert 5 <= _lit_width(grown[550]) <= 7
    assert _lit_width(fixed[550]) <= 3
    small = np.zeros((200, 200, 3), np.uint8)  # a small person: never thinner than set
    draw_skeleton(small, [person()], Style(bone_thickness_px=9, joint_radius_px=0))
    assert 8 <= _lit_width(small[100]) <= 11


def _lit_box(picture: np.ndarray) -> tuple[int, int, int, int]:
    """(top, bottom, left, right) of the pixels that are not black."""
    rows = np.flatnonzero(picture.max(axis=(1, 2)) > 0)
    cols = np.flatnonzero(picture.max(axis=(0, 2)) > 0)
    return int(rows[0]), int(rows[-1]), int(cols[0]), int(cols[-1])


def test_the_count_is_large_in_the_top_right_corner() -> None:
    """Readable in a 640x360 thumbnail of a 720p frame: the digits are at least 20 px tall
    there (40 px in the frame), white on a darkened box at the top right."""
    frame = np.full((720, 1280, 3), 128, np.uint8)
    draw_count_panel(frame, "Squats", [CountLine("", 7, "down")])
    changed = (frame != 128).any(axis=-1)
    rows, cols = np.flatnonzero(changed.any(axis=1)), np.flatnonzero(changed.any(axis=0))
    assert cols[0] > 1280 // 2 and rows[-1] < 720 // 2  # the top right quarter
    white = frame.min(axis=-1) > 230
    digit_rows = np.flatnonzero(white.any(axis=1))
    # The tallest run of rows with white text is the count (the title is far smaller).
    runs = np.split(digit_rows, np.flatnonzero(np.diff(digit_rows) > 1) + 1)
    assert max(len(r) for r in runs) >= 40
    amber = (frame[..., 0] > 200) & (frame[..., 1] > 150) & (frame[..., 2] < 100)
    assert amber.sum() > 50  # the stage, "DOWN", in its colour
    other = np.full((720, 1280, 3), 128, np.uint8)
    draw_count_panel(other, "Squats", [CountLine("", 8, "down")])
    assert not np.array_equal(frame, other)


def test_each_person_gets_a_line_in_the_count_panel() -> None:
    one = np.zeros((720, 1280, 3), np.uint8)
    two = np.zeros((720, 1280, 3), np.uint8)
    draw_count_panel(one, "Curls", [CountLine("", 3, "up")])
    draw_count_panel(two, "Curls", [CountLine("1", 3, "up"), CountLine("2", 5, "down")])
    top, bottom, _, _ = _lit_box(one)
    top2, bottom2, _, _ = _lit_box(two)
    assert bottom2 - top2 > bottom - top


def test_labels_on_a_mirrored_picture_still_read_left_to_right() -> None:
    """Text drawn on the flipped picture is the same glyphs as on the unflipped one, at the
    mirrored place: not the flipped glyphs a flipped picture of text would show."""
    left = person()
    right = person()
    right[:, 0] += 200
    people = [tracked(left, pid=1), tracked(right, pid=2)]
    plain = np.zeros((200, 400, 3), np.uint8)
    flipped = np.zeros((200, 400, 3), np.uint8)
    draw_labels(plain, people, DEFAULT_STYLE)
    draw_labels(flipped, people, DEFAULT_STYLE, mirrored=True)
    # Person 1's id is over the left half in the plain picture, the right half when flipped.
    top, bottom, start, end = _lit_box(plain[:, :200])
    top2, bottom2, start2, end2 = _lit_box(flipped[:, 200:])
    start2, end2 = start2 + 200, end2 + 200
    glyphs = plain[top : bottom + 1, start : end + 1]
    assert np.array_equal(glyphs, flipped[top2 : bottom2 + 1, start2 : end2 + 1])
    assert abs((start + end) / 2 - (399 - (start2 + end2) / 2)) <= 2


def test_a_long_cue_wraps_and_leaves_the_left_of_the_picture_alone() -> None:
    frame = np.full((720, 1280, 3), 128, np.uint8)
    cue = "Step back: your hips, knees and feet must be in the picture"
    draw_count_panel(frame, "Squats", [CountLine("", 2, "up")], cue)
    changed = (frame != 128).any(axis=-1)
    cols = np.flatnonzero(changed.any(axis=0))
    assert cols[0] >= 1280 // 2
    one_line = np.full((720, 1280, 3), 128, np.uint8)
    draw_count_panel(one_line, "Squats", [CountLine("", 2, "up")], "Chest up")
    rows = np.flatnonzero(changed.any(axis=1))
    rows_short = np.flatnonzero((one_line != 128).any(axis=-1).any(axis=1))
    assert rows[-1] > rows_short[-1]  # the long cue took more lines
