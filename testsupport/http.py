"""A multipart/form-data body, as a browser's form sends a file: for the tests, benchmarks and
the packaged-app check of `posecam serve`, which post files to it with the standard library."""

from __future__ import annotations

import io
import subprocess
import uuid


def multipart(
    content: bytes, filename: str, fields: dict[str, str] | None = None
) -> tuple[bytes, str]:
    """(body, Content-Type) of a form with `fields` and the file `content` named `filename`
    in the field "file"."""
    boundary = uuid.uuid4().hex
    out = io.BytesIO()
    for name, value in (fields or {}).items():
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode())
        out.write(value.encode() + b"\r\n")
    out.write(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n".encode()
    )
    out.write(content + f"\r\n--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


def start_serve(command: list[str]) -> tuple[subprocess.Popen[str], str]:
    """Start `command`, a `posecam serve --port 0` command line, and return the process and
    the address its first line announces, such as "http://127.0.0.1:41223" ("" if none).
    Its log (a JSON line per job, on stderr) is not kept: a pipe nobody reads would fill up
    and stop the server after a few hundred jobs."""
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert server.stdout is not None
    first = server.stdout.readline()
    if " on http://" not in first:
        return server, ""
    return server, first.split(" on ", 1)[1].split(" ", 1)[0].rstrip("/")
