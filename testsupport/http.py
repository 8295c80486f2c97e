"""A multipart/form-data body, as a browser's form sends a file: for the tests, benchmarks and
the packaged-app check of `posecam serve`, which post files to it with the standard library."""

from __future__ import annotations

import io
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
