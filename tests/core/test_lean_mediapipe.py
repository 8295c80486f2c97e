"""Importing the pose pipeline does not load Matplotlib's plotting (and so never builds its
font cache), yet MediaPipe's drawing helpers still load if something asks for them."""

from __future__ import annotations

import subprocess
import sys


def test_the_pipeline_imports_without_pyplot_and_the_helpers_still_load() -> None:
    script = (
        "import sys\n"
        "from desktop_app.core.pipeline import PosePipeline\n"
        "from desktop_app.core.model import load_default_model\n"
        "load_default_model()\n"
        "print('pyplot' if 'matplotlib.pyplot' in sys.modules else 'no pyplot')\n"
        "from mediapipe.tasks.python.vision import drawing_utils\n"
        "drawing_utils.DrawingSpec\n"
        "print('pyplot' if 'matplotlib.pyplot' in sys.modules else 'no pyplot')\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["no", "pyplot", "pyplot"], done.stdout
