"""PoseCam's main window: the picture, the settings dock, menus, toolbar and status bar.

The window owns at most one PoseWorker at a time. Choosing another source stops the current
worker (flag and wait) and starts a new one; problems from the worker are shown in words in
place of the picture, with buttons to choose another source. Closing the window stops the
worker, which finalises any recording, and saves the settings.
"""

from __future__ import annotations

import datetime
import re
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
from PySide6.QtCore import QSettings, QStandardPaths, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.model import PoseModel
from desktop_app.core.reps import EXERCISES
from desktop_app.errors import PoseCamError
from desktop_app.media.images import write_image
from desktop_app.media.live_feed import FeedInfo
from desktop_app.media.recorder import RecordingPaths, RecordingStatus
from desktop_app.media.sources import CameraSource, FrameSource, open_source
from desktop_app.settings import Settings, load_settings
from desktop_app.ui.settings_panel import SettingsPanel
from desktop_app.ui.video_view import VideoView
from desktop_app.ui.worker import LiveFrame, PoseWorker

APP_NAME = "PoseCam"


def _exercise_title(key: str) -> str:
    """What the HUD calls the exercise ("Squats"), "" for none."""
    exercise = EXERCISES.get(key)
    return (exercise.title or exercise.name) if exercise else ""


VIDEO_FILTER = "Videos and images (*.mp4 *.mov *.mkv *.avi *.webm *.m4v *.jpg *.jpeg *.png *.bmp *.webp);;All files (*)"  # noqa: E501
# How long closing may wait for the worker, in milliseconds (it stops within a frame or two).
_STOP_WAIT_MS = 3000


def list_cameras() -> list[tuple[str, int]]:
    """(name, OpenCV index) of each camera Qt knows, best effort: on Linux the index is the
    number of its /dev/videoN device; elsewhere the position in Qt's list."""
    try:
        from PySide6.QtMultimedia import QMediaDevices
    except ImportError:  # a Qt without the multimedia module
        return []
    cameras = []
    for position, device in enumerate(QMediaDevices.videoInputs()):
        device_id = bytes(device.id().data()).decode(errors="replace")
        match = re.search(r"video(\d+)$", device_id)
        index = int(match.group(1)) if match and sys.platform.startswith("linux") else position
        cameras.append((device.description(), index))
    return cameras


def recording_text(status: RecordingStatus) -> str:
    """The REC indicator: "● REC 1:05  12.4 MB", plus dropped frames if any."""
    minutes, seconds = divmod(int(status.elapsed_s), 60)
    text = f"● REC {minutes}:{seconds:02d}  {status.video_bytes / 1e6:.1f} MB"
    if status.dropped_frames:
        text += f"  ({status.dropped_frames} frames dropped: the encoder is behind)"
    return text


def default_output_folder() -> Path:
    movies = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.MoviesLocation)
    return Path(movies or Path.home()) / APP_NAME


def unused_path(folder: Path, stem: str, suffix: str) -> Path:
    """folder/stem.suffix, or stem-2, stem-3... if taken: never overwrite."""
    path = folder / f"{stem}{suffix}"
    n = 2
    while path.exists():
        path = folder / f"{stem}-{n}{suffix}"
        n += 1
    return path


class MessagePage(QWidget):
    """Shown instead of the picture when there is nothing to show: says why, offers a way on."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__()
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.text)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.open_file = QPushButton("Open a video or image…")
        self.open_file.clicked.connect(window.choose_file)
        buttons.addWidget(self.open_file)
        self.retry_camera = QPushButton("Try the camera again")
        self.retry_camera.clicked.connect(lambda: window.open_source_text(""))
        buttons.addWidget(self.retry_camera)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        layout.addStretch(1)


class MainWindow(QMainWindow):
    def __init__(
        self,
        settings_file: Path | None = None,
        model: PoseModel | None = None,
        qsettings: QSettings | None = None,
    ) -> None:
        super().__init__()
        self.setWindowTitle(APP_NAME)
        self.setAcceptDrops(True)
        self._model = model
        self._qsettings = qsettings
        loaded = load_settings(settings_file)
        # Kept to save back through: it holds the keys this version does not know, and
        # whether the file may be replaced at all.
        self._loaded_settings = loaded
        self.settings: Settings = loaded.settings
        self.worker: PoseWorker | None = None
        self._source_text = ""
        self._source_info: FeedInfo | None = None
        self._running = False
        self.last_problem: str | None = None
        self._last_recording: Path | None = None

        self.view = VideoView()
        self.view.mirror = self.settings.mirror
        self.view.show_hud = self.settings.show_hud
        self.view.exercise_label = _exercise_title(self.settings.exercise)
        self.message_page = MessagePage(self)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.view)
        self.stack.addWidget(self.message_page)
        self.setCentralWidget(self.stack)

        self.panel = SettingsPanel(self.settings)
        self.panel.settings_changed.connect(self._settings_changed)
        self.panel.reset_reps_requested.connect(self.reset_reps)
        scroll = QScrollArea()
        scroll.setWidget(self.panel)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # Wide enough for the controls, with room for the vertical scroll bar.
        scroll.setMinimumWidth(self.panel.sizeHint().width() + 24)
        self.dock = QDockWidget("Settings", self)
        self.dock.setObjectName("settings-dock")
        self.dock.setWidget(scroll)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.dock)

        self._make_actions()
        self._make_status_bar()
        self._restore_geometry()
        self._watch_cameras()
        if loaded.warning:
            self.statusBar().showMessage(loaded.warning, 15000)

    # -- building ------------------------------------------------------------------------

    def _action(self, text: str, shortcut=None, slot=None, checkable=False) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.setCheckable(checkable)
        if slot is not None:
            (action.toggled if checkable else action.triggered).connect(slot)
        self.addAction(action)  # shortcuts work in full screen, with the menu bar hidden
        return action

    def _make_actions(self) -> None:
        self.open_file_action = self._action(
            "&Open video or image…", QKeySequence.StandardKey.Open, self.choose_file
        )
        self.open_url_action = self._action("Open stream &URL…", None, self.choose_url)
        self.output_folder_action = self._action(
            "Folder for &recordings…", None, self.choose_output_folder
        )
        self.start_action = self._action("&Start", Qt.Key.Key_Space, self.toggle_running)
        self.snapshot_action = self._action("S&napshot", "Ctrl+S", self.snapshot)
        self.record_action = self._action("&Record", "Ctrl+R", self.set_recording, checkable=True)
        self.quit_action = self._action("&Quit", "Ctrl+Q", self.close)
        self.mirror_action = self._action("&Mirror", "M", self._mirror_toggled, checkable=True)
        self.mirror_action.setChecked(self.settings.mirror)
        self.hud_action = self._action("Show frame &rate", "H", self._hud_toggled, checkable=True)
        self.hud_action.setChecked(self.settings.show_hud)
        self.full_screen_action = self._action("&Full screen", "F11", self.toggle_full_screen)

        file_menu = self.menuBar().addMenu("&File")
        file_menu.addAction(self.open_file_action)
        file_menu.addAction(self.open_url_action)
        self.camera_menu = QMenu("&Camera", self)
        self.camera_menu.aboutToShow.connect(self._fill_camera_menu)
        file_menu.addMenu(self.camera_menu)
        file_menu.addSeparator()
        file_menu.addAction(self.snapshot_action)
        file_menu.addAction(self.record_action)
        file_menu.addAction(self.output_folder_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        view_menu = self.menuBar().addMenu("&View")
        view_menu.addAction(self.start_action)
        view_menu.addAction(self.mirror_action)
        view_menu.addAction(self.hud_action)
        view_menu.addAction(self.full_screen_action)
        view_menu.addAction(self.dock.toggleViewAction())

        toolbar = self.addToolBar("Main")
        toolbar.setObjectName("main-toolbar")
        for action in (
            self.open_file_action,
            self.start_action,
            self.snapshot_action,
            self.record_action,
            self.mirror_action,
        ):
            toolbar.addAction(action)

    def _make_status_bar(self) -> None:
        self.source_label = QLabel("No source")
        self.size_label = QLabel("")
        self.rate_label = QLabel("")
        self.people_label = QLabel("")
        self.recording_label = QLabel("")
        for label in (
            self.source_label,
            self.size_label,
            self.rate_label,
            self.people_label,
            self.recording_label,
        ):
            self.statusBar().addPermanentWidget(label)

    def _watch_cameras(self) -> None:
        try:
            from PySide6.QtMultimedia import QMediaDevices
        except ImportError:  # a Qt without the multimedia module: no hot-plug news
            return
        self._media_devices = QMediaDevices(self)
        self._media_devices.videoInputsChanged.connect(self._cameras_changed)

    def _cameras_changed(self) -> None:
        cameras = list_cameras()
        names = ", ".join(name for name, _ in cameras) or "none"
        self.statusBar().showMessage(f"Cameras changed; now connected: {names}", 10000)

    def _fill_camera_menu(self) -> None:
        self.camera_menu.clear()
        cameras = list_cameras()
        for name, index in cameras:
            action = self.camera_menu.addAction(f"{name} (camera {index})")
            action.triggered.connect(lambda _=False, i=index: self.open_source_text(str(i)))
        if not cameras:
            self.camera_menu.addAction("No camera found").setEnabled(False)
        self.camera_menu.addSeparator()
        self.camera_menu.addAction("Camera by number…").triggered.connect(self.choose_camera_index)

    def _restore_geometry(self) -> None:
        if self._qsettings is not None:
            geometry = self._qsettings.value("window/geometry")
            state = self._qsettings.value("window/state")
            if geometry is not None:
                self.restoreGeometry(geometry)
            if state is not None:
                self.restoreState(state)
        if self._qsettings is None or self._qsettings.value("window/geometry") is None:
            self.resize(1200, 760)

    # -- sources -------------------------------------------------------------------------

    def choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open a video or image", "", VIDEO_FILTER)
        if path:
            self.open_source_text(path)

    def choose_url(self) -> None:
        url, ok = QInputDialog.getText(
            self, "Open a stream", "Address of the camera stream (rtsp://, http://…):"
        )
        if ok and url.strip():
            self.open_source_text(url.strip())

    def choose_camera_index(self) -> None:
        index, ok = QInputDialog.getInt(self, "Camera", "OpenCV camera number:", 0, 0, 63)
        if ok:
            self.open_source_text(str(index))

    def _source_opener(self, text: str):
        settings = self.settings

        def opener() -> FrameSource:
            if text.isdigit():
                return CameraSource(
                    int(text),
                    settings.camera_width_px or None,
                    settings.camera_height_px or None,
                    settings.camera_fps or None,
                )
            return open_source(text)

        return opener

    def open_source_text(self, text: str) -> None:
        """Start showing `text`: a camera number, a file path or a URL; "" is the default
        camera."""
        if not text:
            cameras = list_cameras()
            if (
                not cameras
                and sys.platform.startswith("linux")
                and not Path("/dev/video0").exists()
            ):
                self.show_problem("No camera found. Connect one, or open a video or image file.")
                return
            text = str(cameras[0][1]) if cameras else "0"
        self._source_text = text
        self.settings = replace(self.settings, last_source=text)
        self.start_worker()

    def start_worker(self) -> None:
        self.stop_worker()
        self.last_problem = None
        self._source_info = None
        worker = PoseWorker(self._source_opener(self._source_text), self.settings, self._model)
        worker.frame_ready.connect(self._frame_ready)
        worker.source_opened.connect(self._source_opened)
        worker.problem.connect(self.show_problem)
        worker.source_ended.connect(self._source_ended)
        worker.recording_changed.connect(self._recording_changed)
        worker.problem_recording.connect(
            lambda text: self.statusBar().showMessage(f"Recording stopped: {text}", 15000)
        )
        worker.finished.connect(self._worker_finished)
        self.worker = worker
        self._running = True
        self.start_action.setText("&Stop")
        self.source_label.setText(f"Opening {self._source_text}…")
        self.view.show_message(f"Opening {self._source_text}…")
        self.stack.setCurrentWidget(self.view)
        worker.start()

    def stop_worker(self) -> None:
        """Stop the worker and wait for it (it finalises any recording on its way out)."""
        worker = self.worker
        if worker is None:
            return
        worker.stop()
        if not worker.wait(_STOP_WAIT_MS):
            # Never terminate(): a thread killed mid-write would leave a broken file.
            self.statusBar().showMessage("The processing thread is slow to stop…", 5000)
            worker.wait()
        for signal in (
            worker.frame_ready,
            worker.source_opened,
            worker.problem,
            worker.source_ended,
        ):
            signal.disconnect()
        self.worker = None
        self._running = False
        self.start_action.setText("&Start")
        self.record_action.setChecked(False)

    def toggle_running(self) -> None:
        if self._running:
            if self._source_info is not None and not self._source_info.is_live:
                # A file pauses where it is; a camera stops (and lets go of the device).
                paused = not (self.worker and self.worker.paused)
                if self.worker is not None:
                    self.worker.set_paused(paused)
                self.start_action.setText("&Resume" if paused else "&Pause")
                return
            self.stop_worker()
            self.source_label.setText(f"{self._source_text} (stopped)")
        else:
            self.open_source_text(self._source_text or self.settings.last_source)

    # -- worker signals ------------------------------------------------------------------

    def _frame_ready(self) -> None:
        if self.worker is None:
            return
        frame = self.worker.take_newest()
        if frame is None:
            return
        self.view.show_frame(frame)
        if frame.recording is not None:
            self.recording_label.setText(recording_text(frame.recording))
        if frame.reps:
            # The plot follows the lowest-numbered person (the only one, usually).
            _, _, angle = frame.reps[min(frame.reps)]
            self.panel.angle_plot.add(frame.result.time_ms / 1000.0, angle)
        people = frame.result.people_seen
        self.people_label.setText(f"{people} {'person' if people == 1 else 'people'}")
        if frame.dropped_frames:
            self.rate_label.setText(self._rate_text() + f", {frame.dropped_frames} skipped")

    def _rate_text(self) -> str:
        info = self._source_info
        if info is None or info.is_still:
            return ""
        return f"{info.fps:.1f} fps source" if info.fps else "live"

    def _source_opened(self, info: FeedInfo) -> None:
        self._source_info = info
        self.source_label.setText(info.name)
        self.size_label.setText(f"{info.size[0]} x {info.size[1]}" if info.size else "")
        self.rate_label.setText(self._rate_text())
        if not info.is_live and not info.is_still:
            self.start_action.setText("&Pause")

    def show_problem(self, text: str) -> None:
        self.last_problem = text
        self.message_page.text.setText(text)
        self.stack.setCurrentWidget(self.message_page)
        self.source_label.setText("No source")
        self.statusBar().showMessage(text, 15000)

    def _source_ended(self) -> None:
        self.statusBar().showMessage(f"{self._source_text}: end of the video", 10000)

    def _worker_finished(self) -> None:
        if self.worker is not None and self.sender() is self.worker:
            self._running = False
            self.start_action.setText("&Start")

    def _recording_changed(self, path: Path | None) -> None:
        self.recording_label.setText(f"● REC {path.name}" if path else "")
        self.recording_label.setStyleSheet("color: #d00000; font-weight: bold" if path else "")
        self._show_record_checked(path is not None)
        if path is None and self._last_recording is not None:
            self.statusBar().showMessage(f"Saved {self._last_recording}", 10000)
        self._last_recording = path

    # -- actions -------------------------------------------------------------------------

    def output_folder(self) -> Path:
        return (
            Path(self.settings.output_folder)
            if self.settings.output_folder
            else default_output_folder()
        )

    def new_output_path(self, suffix: str) -> Path:
        """A new time-stamped file name in the output folder, which is made if missing; never
        an existing file. Raises OSError if the folder cannot be made."""
        folder = self.output_folder()
        folder.mkdir(parents=True, exist_ok=True)
        stamp = datetime.datetime.now().strftime("%Y%m%d_%H%M%S")
        return unused_path(folder, f"PoseCam_{stamp}", suffix)

    def snapshot(self) -> Path | None:
        """Save the frame on screen, as shown (mirrored if the view is), as a PNG."""
        frame: LiveFrame | None = self.view.frame
        if frame is None:
            self.statusBar().showMessage("Nothing to save yet", 5000)
            return None
        rgb = frame.result.annotated
        if self.view.mirror:
            rgb = np.ascontiguousarray(rgb[:, ::-1])
        try:
            path = self.new_output_path(".png")
            write_image(path, rgb)
        except (OSError, PoseCamError) as exc:
            self.statusBar().showMessage(f"Snapshot not saved: {exc}", 10000)
            return None
        self.statusBar().showMessage(f"Saved {path}", 10000)
        return path

    def _show_record_checked(self, on: bool) -> None:
        """Show the Record button pressed or not, without starting or stopping anything."""
        self.record_action.blockSignals(True)
        self.record_action.setChecked(on)
        self.record_action.blockSignals(False)

    def set_recording(self, on: bool) -> None:
        if self.worker is None:
            self._show_record_checked(False)
            self.statusBar().showMessage("Open a camera or file before recording", 5000)
            return
        if on:
            self.start_recording()
        else:
            self.worker.stop_recording()

    def start_recording(self, path: Path | None = None) -> None:
        """Record to `path`, or to a new time-stamped file in the output folder; the raw video
        and keypoints go beside it as the settings say."""
        if self.worker is None:
            return
        if path is None:
            try:
                path = self.new_output_path(".mp4")
            except OSError as exc:
                folder = self.output_folder()
                self.statusBar().showMessage(f"Cannot record to {folder}: {exc.strerror}", 10000)
                self._recording_changed(None)
                return
        s = self.settings
        self.worker.start_recording(
            RecordingPaths.beside(path, s.record_raw_video, s.record_keypoints)
        )

    def choose_output_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, "Folder for recordings and snapshots", str(self.output_folder())
        )
        if folder:
            self.panel.set_settings(replace(self.settings, output_folder=folder))

    def reset_reps(self) -> None:
        if self.worker is not None:
            self.worker.reset_reps()
        self.panel.angle_plot.clear()

    def toggle_full_screen(self) -> None:
        if self.isFullScreen():
            self.showNormal()
        else:
            self.showFullScreen()

    def _mirror_toggled(self, on: bool) -> None:
        if on != self.settings.mirror:
            self.panel.set_settings(replace(self.settings, mirror=on))

    def _hud_toggled(self, on: bool) -> None:
        if on != self.settings.show_hud:
            self.panel.set_settings(replace(self.settings, show_hud=on))

    def _settings_changed(self, settings: Settings) -> None:
        old = self.settings
        self.settings = replace(settings, last_source=old.last_source)
        self.view.mirror = settings.mirror
        self.view.show_hud = settings.show_hud
        self.view.exercise_label = _exercise_title(settings.exercise)
        self.mirror_action.setChecked(settings.mirror)
        self.hud_action.setChecked(settings.show_hud)
        self.view.update()
        if self.worker is not None:
            self.worker.set_style(settings.style)
            self.worker.set_processing(settings)

    # -- drag and drop, closing ------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        urls = event.mimeData().urls()
        if urls:
            url = urls[0]
            self.open_source_text(url.toLocalFile() if url.isLocalFile() else url.toString())

    def closeEvent(self, event: QCloseEvent) -> None:
        self.stop_worker()
        warning = self._loaded_settings.save(self.settings)
        if warning:
            print(f"posecam: {warning}", file=sys.stderr)
        if self._qsettings is not None:
            self._qsettings.setValue("window/geometry", self.saveGeometry())
            self._qsettings.setValue("window/state", self.saveState())
        super().closeEvent(event)


def close_soon(window: MainWindow) -> None:
    """Close the window from a signal handler: let the event loop do it."""
    QTimer.singleShot(0, window.close)
