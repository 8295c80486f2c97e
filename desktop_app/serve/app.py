"""The Flask app: the page and its JSON API over a JobRunner.

Flask (Pallets) because it is small, pure Python, well kept, and its Werkzeug core already
does what an upload page needs: multipart bodies spooled to disk, a size limit that answers
413 before reading the body (MAX_CONTENT_LENGTH), and file responses with range requests
(which Safari needs to play a <video>).
"""

from __future__ import annotations

import sys
from importlib import resources
from typing import Any

from flask import Flask, Response, jsonify, request, send_file, url_for
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from desktop_app import __version__
from desktop_app.core import limits
from desktop_app.core.exercises import exercise_names, find_exercise
from desktop_app.core.model import PoseModel, load_default_model
from desktop_app.core.smoothing import DEFAULT_SMOOTHING, SMOOTHING_CHOICES
from desktop_app.errors import PoseCamError
from desktop_app.serve.jobs import (
    DONE,
    Job,
    JobRunner,
    QueueFull,
    display_name,
    download_stem,
)

DEFAULT_MAX_UPLOAD_MB = 500


def _log_to_stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def create_app(
    *,
    model: PoseModel | None = None,
    max_upload_mb: float = DEFAULT_MAX_UPLOAD_MB,
    keep_minutes: float = 60.0,
    workers: int = 1,
    queue_size: int = 8,
    log: Any = None,
) -> Flask:
    """The app; its JobRunner is `app.extensions["posecam"]` (close() it when done)."""
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = int(max_upload_mb * 1024 * 1024)
    runner = JobRunner(
        model or load_default_model(),
        workers=workers,
        queue_size=queue_size,
        keep_minutes=keep_minutes,
        log=log or _log_to_stderr,
    )
    app.extensions["posecam"] = runner
    page = resources.files("desktop_app.serve").joinpath("page.html").read_text("utf-8")

    def error(status: int, message: str) -> tuple[Response, int]:
        return jsonify(error=message), status

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(exc: RequestEntityTooLarge) -> tuple[Response, int]:
        return error(413, f"the file is larger than the {max_upload_mb:g} MB this server takes")

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> tuple[Response, int]:
        return error(exc.code or 500, exc.description or exc.name)

    @app.get("/")
    def index() -> Response:
        return Response(page, mimetype="text/html")

    @app.get("/healthz")
    def healthz() -> Response:
        return jsonify(
            ok=True,
            model_loaded=runner.model is not None,
            model=runner.model.name,
            version=__version__,
            queue_length=runner.waiting,
            running=runner.running,
        )

    @app.get("/api/options")
    def options() -> Response:
        return jsonify(
            exercises=exercise_names(),
            smoothing=list(SMOOTHING_CHOICES),
            default_smoothing=DEFAULT_SMOOTHING,
            people={"low": int(limits.PEOPLE.low), "high": int(limits.PEOPLE.high)},
            max_upload_mb=max_upload_mb,
            keep_minutes=keep_minutes,
        )

    @app.post("/api/jobs")
    def new_job() -> tuple[Response, int]:
        upload = request.files.get("file")
        if upload is None:
            return error(400, "no file: send it as the multipart field 'file'")
        name = display_name(upload.filename)
        try:
            num_poses = int(request.form.get("num_poses", "1"))
        except ValueError:
            return error(400, "num_poses must be a whole number")
        if num_poses not in limits.PEOPLE:
            return error(400, f"num_poses must be {limits.PEOPLE.describe()}")
        smoothing = request.form.get("smoothing") or DEFAULT_SMOOTHING
        if smoothing not in SMOOTHING_CHOICES:
            return error(400, f"smoothing must be one of {', '.join(SMOOTHING_CHOICES)}")
        exercise = request.form.get("exercise") or None
        try:
            if exercise is not None:
                find_exercise(exercise)
        except PoseCamError as exc:
            return error(400, str(exc))
        job_id, folder = runner.new_folder()
        stored = folder / "upload"
        upload.save(stored)
        try:
            stored, kind = runner.check_upload(stored, name)
        except PoseCamError as exc:
            runner.discard(folder)
            return error(400, str(exc))
        job = Job(
            id=job_id,
            folder=folder,
            input=stored,
            name=name,
            kind=kind,
            size_bytes=stored.stat().st_size,
            num_poses=num_poses,
            smoothing=smoothing,
            exercise=exercise,
        )
        try:
            runner.submit(job)
        except QueueFull:
            return error(
                503,
                f"busy: {runner.queue_size} files are already waiting; try again in a minute",
            )
        response = jsonify(id=job_id, url=url_for("job_state", job_id=job_id))
        return response, 202

    @app.get("/api/jobs/<job_id>")
    def job_state(job_id: str) -> Response | tuple[Response, int]:
        job = runner.get(job_id)
        if job is None:
            return error(404, "no such job (files are kept for a while, then deleted)")
        return jsonify(describe(job))

    @app.get("/api/jobs/<job_id>/files/<name>")
    def job_file(job_id: str, name: str) -> Response | tuple[Response, int]:
        job = runner.get(job_id)
        # The name only picks one of the job's files; it never becomes part of a path.
        path = job.files.get(name) if job is not None else None
        if job is None or path is None:
            return error(404, "no such file")
        suffix = name.rsplit(".", 1)[-1]
        kind = name.rsplit(".", 1)[0]
        download = f"{download_stem(job.name)}_posecam{'' if kind == 'annotated' else '_' + kind}"
        return send_file(
            path,
            as_attachment=request.args.get("download") == "1",
            download_name=f"{download}.{suffix}",
            max_age=0,
        )

    def describe(job: Job) -> dict[str, Any]:
        state: dict[str, Any] = {
            "id": job.id,
            "name": job.name,
            "kind": job.kind,
            "state": job.state,
            "progress": job.progress,
            "frames_done": job.frames_done,
            "frames_total": job.frames_total,
            "options": {
                "num_poses": job.num_poses,
                "smoothing": job.smoothing,
                "exercise": job.exercise,
            },
            "error": job.error,
        }
        summary = job.summary
        if job.state == DONE and summary is not None:
            state["result"] = {
                "frames": summary.frames,
                "frames_with_person": summary.frames_with_person,
                "seconds": round(summary.seconds, 3),
                "ms_per_frame": round(summary.seconds * 1000 / max(summary.frames, 1), 1),
                "codec": summary.codec,
                "damage": None if summary.damage is None else str(summary.damage),
                "sound": None if summary.sound is None else str(summary.sound),
                "sound_problem": summary.sound_problem,
                "exercise": summary.exercise,
                "reps": None
                if summary.reps is None
                else {str(pid): n for pid, n in summary.reps.items()},
                "reps_table": job.reps_rows,
                "files": {
                    name: url_for("job_file", job_id=job.id, name=name) for name in job.files
                },
            }
        return state

    return app
