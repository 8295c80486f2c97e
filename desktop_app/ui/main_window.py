"""PoseCam's main window: the picture, the settings dock, menus, toolbar and status bar.

The window keeps no state of its own: settings, source, playback and recording live in its
`Session` (ui/session.py). Its actions call the session, and it redraws when the session says
something changed. Problems are shown in words in place of the picture, with buttons to
choose another source. Closing the window stops the session's worker, which finalises any
recording, and saves the settings.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QTimer
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
from desktop_app.errors import PoseCamError
from desktop_app.folders import APP_NAME
from desktop_app.media.images import IMAGE_SUFFIXES, write_image
from desktop_app.media.recorder import RecordingStatus
from desktop_app.media.sources import VIDEO_SUFFIXES
from desktop_app.settings import Settings, load_settings
from desktop_app.ui.cue_sound import CueSound
from desktop_app.ui.session import Playback, Session
from desktop_app.ui.settings_panel import SettingsPanel
from desktop_app.ui.video_view import VideoView
from desktop_app.ui.worker import LiveFrame, PoseWorker

VIDEO_FILTER = (
    "Videos and images ("
    + " ".join(f"*{suffix}" for suffix in (*VIDEO_SUFFIXES, *sorted(IMAGE_SUFFIXES)))
    + ");;All files (*)"
)


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
        self._qsettings = qsettings
        self.session = Session(load_settings(settings_file), model, parent=self)
        #: The last problem shown in place of the picture (None since the last start).
        self.last_problem: str | None = None

        self.view = VideoView()
        self.message_page = MessagePage(self)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.view)
        self.stack.addWidget(self.message_page)
        self.setCentralWidget(self.stack)

        self.panel = SettingsPanel(self.session)
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
        session = self.session
        session.settings_changed.connect(self._show_settings)
        session.playback_changed.connect(self._show_playback)
        session.frame_ready.connect(self._show_frame)
        session.frame_ready.connect(self._sound_cues)
        self._cue_sound: CueSound | None = None
        session.problem.connect(self.show_problem)
        session.source_ended.connect(
            lambda: self._say(f"{session.playback.source}: end of the video", 10000)
        )
        session.recording_changed.connect(self._show_recording)
        session.preparing.connect(self.view.show_message)
        session.recording_message.connect(lambda text: self._say(text, 15000))
        self._show_settings(session.settings)
        if session.load_warning:
            self._say(session.load_warning, 15000)

    # -- what the session holds, for callers that read the window ---------------------------

    @property
    def settings(self) -> Settings:
        return self.session.settings

    @property
    def worker(self) -> PoseWorker | None:
        return self.session.worker

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
        session = self.session
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
        self.mirror_action = self._action(
            "&Mirror", "M", lambda on: session.change(mirror=on), checkable=True
        )
        self.hud_action = self._action(
            "Show frame &rate", "H", lambda on: session.change(show_hud=on), checkable=True
        )
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
        self._say(f"Cameras changed; now connected: {names}", 10000)

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

    def _say(self, text: str, milliseconds: int) -> None:
        self.statusBar().showMessage(text, milliseconds)

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
        self.last_problem = None
        self.source_label.setText(f"Opening {text}…")
        self.view.show_message(f"Opening {text}…")
        self.stack.setCurrentWidget(self.view)
        self.session.open(text)

    def stop_worker(self) -> None:
        """Stop processing and wait for it (any recording is finalised on its way out)."""
        if not self.session.stop():
            self._say("The processing thread was slow to stop", 5000)

    def toggle_running(self) -> None:
        playback = self.session.playback
        if not playback.running:
            self.open_source_text(playback.source or self.settings.last_source)
            return
        self.session.toggle_running()
        if not self.session.playback.running:
            self.source_label.setText(f"{playback.source} (stopped)")

    # -- what the session says -----------------------------------------------------------

    def _show_settings(self, settings: Settings) -> None:
        self.view.show_hud = settings.show_hud
        for action, on in ((self.mirror_action, settings.mirror),
                           (self.hud_action, settings.show_hud)):  # fmt: skip
            action.blockSignals(True)
            action.setChecked(on)
            action.blockSignals(False)
        self.view.update()

    def _show_playback(self, playback: Playback) -> None:
        self.start_action.setText(playback.button_text)
        info = playback.info
        if info is not None:
            self.source_label.setText(info.name)
            self.size_label.setText(f"{info.size[0]} x {info.size[1]}" if info.size else "")
        self.rate_label.setText(self._rate_text())

    def _show_frame(self, frame: LiveFrame) -> None:
        self.view.show_frame(frame)
        if frame.recording is not None:
            self.recording_label.setText(recording_text(frame.recording))
        people = frame.result.people_seen
        self.people_label.setText(f"{people} {'person' if people == 1 else 'people'}")
        if frame.dropped_frames:
            self.rate_label.setText(self._rate_text() + f", {frame.dropped_frames} skipped")

    def _sound_cues(self, frame: LiveFrame) -> None:
        coaching = frame.result.coaching
        if coaching is None or not coaching.new or not self.settings.cue_sound:
            return
        if self._cue_sound is None:
            self._cue_sound = CueSound(self)
            if self._cue_sound.problem:
                self._say(self._cue_sound.problem, 10000)
        self._cue_sound.play()

    def _rate_text(self) -> str:
        info = self.session.playback.info
        if info is None or info.is_still:
            return ""
        return f"{info.fps:.1f} fps source" if info.fps else "live"

    def show_problem(self, text: str) -> None:
        self.last_problem = text
        self.message_page.text.setText(text)
        self.stack.setCurrentWidget(self.message_page)
        self.source_label.setText("No source")
        self._say(text, 15000)

    def _show_recording(self, path: Path | None) -> None:
        self.recording_label.setText(f"● REC {path.name}" if path else "")
        self.recording_label.setStyleSheet("color: #d00000; font-weight: bold" if path else "")
        # Shown pressed or not without starting or stopping anything.
        self.record_action.blockSignals(True)
        self.record_action.setChecked(path is not None)
        self.record_action.blockSignals(False)

    # -- actions -------------------------------------------------------------------------

    def snapshot(self) -> Path | None:
        """Save the frame on screen, as shown (mirrored if the view is), as a PNG."""
        frame: LiveFrame | None = self.view.frame
        if frame is None:
            self._say("Nothing to save yet", 5000)
            return None
        rgb = frame.result.on_screen
        try:
            path = self.session.new_output_path(".png")
            write_image(path, rgb)
        except (OSError, PoseCamError) as exc:
            self._say(f"Snapshot not saved: {exc}", 10000)
            return None
        self._say(f"Saved {path}", 10000)
        return path

    def set_recording(self, on: bool) -> None:
        if on:
            self.start_recording()
        else:
            self.session.stop_recording()

    def start_recording(self, path: Path | None = None) -> None:
        """Record to `path`, or to a new time-stamped file in the output folder."""
        self.session.start_recording(path)

    def choose_output_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, "Folder for recordings and snapshots", str(self.session.output_folder())
        )
        if folder:
            self.session.change(output_folder=folder)

    def reset_reps(self) -> None:
        self.session.reset_reps()

    def toggle_full_screen(self) -> None:
        if self.isFullScreen():
            self.showNormal()
        else:
            self.showFullScreen()

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
        self.session.stop()
        if self._cue_sound is not None:
            self._cue_sound.close()
        warning = self.session.save()
        if warning:
            print(f"posecam: {warning}", file=sys.stderr)
        if self._qsettings is not None:
            self._qsettings.setValue("window/geometry", self.saveGeometry())
            self._qsettings.setValue("window/state", self.saveState())
        super().closeEvent(event)


def close_soon(window: MainWindow) -> None:
    """Close the window from a signal handler: let the event loop do it."""
    QTimer.singleShot(0, window.close)
