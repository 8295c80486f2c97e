"""The core and media layers must run without Qt: the headless command and the tests of the
pipeline depend on it, and it keeps the one-way data flow honest."""

import subprocess
import sys


def test_core_and_media_do_not_import_pyside6() -> None:
    code = (
        "import sys\n"
        "import desktop_app.core.pipeline, desktop_app.core.pose, desktop_app.core.render\n"
        "import desktop_app.core.smoothing, desktop_app.core.skeleton\n"
        "import desktop_app.media.sources, desktop_app.media.video_writer\n"
        "import desktop_app.media.keypoints, desktop_app.media.synthetic\n"
        "import desktop_app.annotate, desktop_app.cli\n"
        "qt = sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'shiboken6'))\n"
        "print(','.join(qt))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "", f"Qt modules imported by the Qt-free layers: {out}"
