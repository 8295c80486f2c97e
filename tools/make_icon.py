"""Draw PoseCam's icon: a stick figure (white bones, red joints) on a dark rounded square.

    python tools/make_icon.py

Writes resources/icons/posecam.png (256 px) and posecam.ico (16-256 px, for Windows). Drawn in
code, so it is ours and can be rebuilt exactly.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from PIL import Image

ICONS = Path(__file__).resolve().parent.parent / "resources" / "icons"
SIZE = 1024  # drawn large and scaled down, for smooth edges

# Joints of a person mid-squat with arms raised, in a 0-1 square.
JOINTS = {
    "head": (0.50, 0.17),
    "neck": (0.50, 0.32),
    "left_hand": (0.24, 0.12),
    "left_elbow": (0.32, 0.27),
    "right_hand": (0.76, 0.12),
    "right_elbow": (0.68, 0.27),
    "hip": (0.50, 0.58),
    "left_knee": (0.32, 0.70),
    "left_foot": (0.36, 0.88),
    "right_knee": (0.68, 0.70),
    "right_foot": (0.64, 0.88),
}
BONES = [
    ("neck", "hip"),
    ("neck", "left_elbow"),
    ("left_elbow", "left_hand"),
    ("neck", "right_elbow"),
    ("right_elbow", "right_hand"),
    ("hip", "left_knee"),
    ("left_knee", "left_foot"),
    ("hip", "right_knee"),
    ("right_knee", "right_foot"),
]


def draw() -> np.ndarray:
    rgba = np.zeros((SIZE, SIZE, 4), np.uint8)
    radius = SIZE // 6
    box = np.zeros((SIZE, SIZE), np.uint8)
    cv2.rectangle(box, (radius, 0), (SIZE - radius, SIZE), 255, -1)
    cv2.rectangle(box, (0, radius), (SIZE, SIZE - radius), 255, -1)
    for cx in (radius, SIZE - radius):
        for cy in (radius, SIZE - radius):
            cv2.circle(box, (cx, cy), radius, 255, -1, cv2.LINE_AA)
    rgba[..., :3] = (30, 36, 52)
    rgba[..., 3] = box

    def at(name: str) -> tuple[int, int]:
        x, y = JOINTS[name]
        return round(x * SIZE), round(y * SIZE)

    for a, b in BONES:
        cv2.line(rgba, at(a), at(b), (255, 255, 255, 255), SIZE // 22, cv2.LINE_AA)
    cv2.circle(rgba, at("head"), SIZE // 11, (255, 255, 255, 255), -1, cv2.LINE_AA)
    for name in JOINTS:
        if name != "head":
            cv2.circle(rgba, at(name), SIZE // 30, (230, 30, 30, 255), -1, cv2.LINE_AA)
    return rgba


def main() -> None:
    ICONS.mkdir(parents=True, exist_ok=True)
    image = Image.fromarray(draw(), "RGBA")
    image.resize((256, 256), Image.Resampling.LANCZOS).save(ICONS / "posecam.png")
    sizes = [(16, 16), (24, 24), (32, 32), (48, 48), (64, 64), (128, 128), (256, 256)]
    image.resize((256, 256), Image.Resampling.LANCZOS).save(ICONS / "posecam.ico", sizes=sizes)
    print(f"wrote {ICONS / 'posecam.png'} and {ICONS / 'posecam.ico'}")


if __name__ == "__main__":
    main()
