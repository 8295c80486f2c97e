import numpy as np

from desktop_app.core.render import DEFAULT_STYLE, Style, draw_people, draw_skeleton
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
    # The number sits just right of and above the knee; nothing is written elsewhere.
    near = canvas[170:205, 100:160]
    reddish = (near[..., 0] > 120) & (near[..., 1] < 80) & (near[..., 2] < 80)
    assert reddish.sum() > 10
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
