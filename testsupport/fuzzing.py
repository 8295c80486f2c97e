"""A seeded fuzzer for video inputs: small real clips of each container, damaged in ways real
files are (flipped bytes, a cut, zeroed ranges, a box or element header broken), then read by
the real decoder or annotated by the real command line and judged.

Mutant `index` of `seed` for a container is always the same file: the clip is encoded the same
way each time (one encoder thread) and the damage is drawn from `random.Random` seeded with
(seed, container, index). tests/test_fuzz.py runs a few dozen; benchmarks/fuzz.py hundreds.

What counts as a failure (`Outcome.failures`): a traceback, an "unexpected error" (the command
line's one line for a fault it did not foresee, with the traceback in its log), a hang (no end
within the time limit), death by a signal, an exit code other than 0 or 2, an output video
that does not play to its end, and keypoints that do not end at the video's last frame.
"""

from __future__ import annotations

import csv
import json
import os
import queue
import random
import re
import struct
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import av
import numpy as np

from desktop_app.errors import PoseCamError
from desktop_app.media.keypoints import CSV_COLUMNS
from desktop_app.media.synthetic import KnownMotion, known_motion_frames, sample_photo

REPO = Path(__file__).resolve().parent.parent

# x264's macroblock tree was seen to give different bytes now and then for the same frames
# (one thread, a busy machine); without it the clip is the same every time.
_SAME_BYTES = {"x264-params": "mbtree=0"}

#: Container -> (suffix, encoder, encoder options, muxer options, pixel format): MP4 as web
#: downloads have it (index first, a key frame every 10 frames), Matroska as OBS records it
#: (B-frames), WebM as browsers record it (VP9), AVI as cameras record it (Motion JPEG).
CONTAINERS: dict[str, tuple[str, str, dict[str, str], dict[str, str], str]] = {
    "mp4": ("mp4", "libx264", {"g": "10", **_SAME_BYTES}, {"movflags": "faststart"}, "yuv420p"),
    "mkv": ("mkv", "libx264", _SAME_BYTES, {}, "yuv420p"),
    "webm": ("webm", "libvpx-vp9", {"deadline": "realtime", "cpu-used": "8"}, {}, "yuv420p"),
    "avi": ("avi", "mjpeg", {}, {}, "yuvj420p"),
}
KINDS = ("flip", "truncate", "zero", "box")
SEED_FRAMES = 30
SEED_SIZE = (320, 240)
SEED_FPS = 30.0


def seed_clip(container: str, path: Path, frames: int = SEED_FRAMES) -> Path:
    """A real clip for `container`: the sample photo (Grace Hopper) swaying and growing a
    little on a 320x240 canvas at 30 fps, encoded with one thread so it is the same every time."""
    _, codec, codec_options, muxer_options, pixel_format = CONTAINERS[container]
    photo = sample_photo()
    motion = KnownMotion(
        photo_size=(photo.shape[1], photo.shape[0]),
        canvas_size=SEED_SIZE,
        fps=SEED_FPS,
        seconds=frames / SEED_FPS,
        sweep_px=30.0,
        sweep_period_s=1.0,
        zoom_start=0.36,
        zoom_end=0.39,
    )
    # bitexact: no random identifiers (Matroska's segment and track UIDs) nor version strings.
    with av.open(str(path), "w", options={**muxer_options, "fflags": "+bitexact"}) as out:
        stream = out.add_stream(codec, rate=round(SEED_FPS), options=codec_options)
        stream.width, stream.height, stream.pix_fmt = *SEED_SIZE, pixel_format
        stream.thread_count = 1
        for frame in known_motion_frames(photo, motion):
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame.rgb, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def seed_clips(folder: Path, frames: int = SEED_FRAMES) -> dict[str, bytes]:
    """Every container's seed clip, `frames` long, as bytes, written under `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    return {
        name: seed_clip(name, folder / f"seed.{suffix}", frames).read_bytes()
        for name, (suffix, *_) in CONTAINERS.items()
    }


@dataclass(frozen=True)
class Element:
    """A box (MP4), element (Matroska, WebM) or chunk (AVI) header found in a file."""

    path: str
    #: Where its type (fourcc, EBML ID) and its size field are, in bytes from the file's start.
    type_at: int
    type_length: int
    size_at: int
    size_length: int
    #: "be32" (MP4), "le32" (RIFF) or "ebml" (a variable-length integer).
    size_format: str
    size: int


# Boxes that hold boxes.
_MP4_PARENTS = set(b"moov trak mdia minf stbl dinf edts udta mvex moof traf mfra".split())


#: What reading a header at an offset gives: the element, where its children are (start, end,
#: the name they are under) if it has any, and where the next element starts (None: nowhere).
_Header = tuple[Element, tuple[int, int, str] | None, int | None]


def _walk(
    data: bytes,
    read: Callable[[bytes, int, int, str], _Header | None],
    start: int,
    end: int,
    parent: str,
) -> list[Element]:
    """The headers `read` finds from `start` to `end`, and those of their children."""
    found: list[Element] = []
    at: int | None = start
    while at is not None and (header := read(data, at, end, parent)) is not None:
        element, children, at = header
        found.append(element)
        if children is not None:
            found += _walk(data, read, *children)
    return found


def _mp4_box(data: bytes, at: int, end: int, parent: str) -> _Header | None:
    """An MP4 box (ISO/IEC 14496-12): 32-bit big-endian size (1: 64-bit follows, 0: to the
    end), fourcc."""
    if at + 8 > end:
        return None
    size, kind = struct.unpack_from(">I4s", data, at)
    header = 8
    if size == 1 and at + 16 <= end:
        size, header = struct.unpack_from(">Q", data, at + 8)[0], 16
    elif size == 0:
        size = end - at
    if size < header:
        return None
    name = f"{parent}/{kind.decode('latin-1')}"
    children = (at + header, min(at + size, end), name) if kind in _MP4_PARENTS else None
    return Element(name, at + 4, 4, at, 4, "be32", size), children, at + size


def _vint(data: bytes, at: int, keep_marker: bool) -> tuple[int, int] | None:
    """(value, length) of the EBML variable-length integer at `at`, or None if there is none."""
    if at >= len(data) or data[at] == 0:
        return None
    length = 8 - data[at].bit_length() + 1
    if at + length > len(data):
        return None
    value = int.from_bytes(data[at : at + length], "big")
    if not keep_marker:
        value &= (1 << (7 * length)) - 1
    return value, length


# Segment, SeekHead, Seek, Info, Tracks, TrackEntry, Video, Cluster, BlockGroup, Cues,
# CuePoint, CueTrackPositions, Tags, Tag, Targets, SimpleTag, EBML header.
_EBML_PARENTS = {
    0x18538067, 0x114D9B74, 0x4DBB, 0x1549A966, 0x1654AE6B, 0xAE, 0xE0, 0x1F43B675, 0xA0,
    0x1C53BB6B, 0xBB, 0xB7, 0x1254C367, 0x7373, 0x63C0, 0x67C8, 0x1A45DFA3,
}  # fmt: skip


def _ebml_element(data: bytes, at: int, end: int, parent: str) -> _Header | None:
    """A Matroska or WebM element (RFC 8794): ID and size as variable-length integers."""
    element_id = _vint(data, at, keep_marker=True) if at < end else None
    if element_id is None or element_id[1] > 4:
        return None
    size = _vint(data, at + element_id[1], keep_marker=False)
    if size is None:
        return None
    (ebml_id, id_length), (value, size_length) = element_id, size
    body = at + id_length + size_length
    # All ones is "unknown size": the element runs to its parent's end (a live WebM's clusters).
    unknown = value == (1 << (7 * size_length)) - 1
    name = f"{parent}/{ebml_id:X}"
    children = (body, end if unknown else min(body + value, end), name)
    element = Element(name, at, id_length, at + id_length, size_length, "ebml", value)
    return (
        element,
        children if ebml_id in _EBML_PARENTS else None,
        None if unknown else body + value,
    )


def _riff_chunk(data: bytes, at: int, end: int, parent: str) -> _Header | None:
    """An AVI chunk (RIFF): fourcc, 32-bit little-endian size, data padded to an even size;
    RIFF and LIST chunks hold a type fourcc and then chunks."""
    if at + 8 > end:
        return None
    kind, size = struct.unpack_from("<4sI", data, at)
    name = f"{parent}/{kind.decode('latin-1')}"
    children = None
    if kind in (b"RIFF", b"LIST") and at + 12 <= end:
        children = (
            at + 12,
            min(at + 8 + size, end),
            f"{name}:{data[at + 8 : at + 12].decode('latin-1')}",
        )
    return Element(name, at, 4, at + 4, 4, "le32", size), children, at + 8 + size + (size & 1)


def elements(container: str, data: bytes) -> list[Element]:
    """The container's box, element or chunk headers."""
    read = {"mp4": _mp4_box, "avi": _riff_chunk}.get(container, _ebml_element)
    return _walk(data, read, 0, len(data), "")


@dataclass(frozen=True)
class Mutant:
    """One damaged copy of a seed clip, and how it was damaged."""

    seed: int
    container: str
    index: int
    kind: str
    data: bytes
    #: What was done, precisely enough to do it again by hand.
    damage: str

    @property
    def name(self) -> str:
        return f"s{self.seed}-{self.container}-{self.index:04d}-{self.kind}"

    @property
    def suffix(self) -> str:
        return CONTAINERS[self.container][0]

    @property
    def keypoints_suffix(self) -> str:
        """JSON for half of the mutants of each kind, CSV for the other half."""
        return ".json" if (self.index // len(KINDS)) % 2 == 0 else ".csv"


def _new_size(rng: random.Random, old: int, largest: int, file_size: int) -> int:
    """A size a broken writer or a bad sector might leave: none, tiny, one off, double, the
    largest the field holds (for EBML: "unknown"), the whole file, or anything."""
    choices = [0, 1, 7, max(old - 1, 0), old + 1, old * 2, largest, file_size]
    return min(rng.choice([*choices, rng.randrange(largest)]), largest)


def _damage_element(rng: random.Random, container: str, data: bytearray) -> str:
    found = elements(container, bytes(data))
    if not found:
        return "no element found: unchanged"
    element = rng.choice(found)
    if rng.random() < 0.25:
        old = bytes(data[element.type_at : element.type_at + element.type_length])
        new = bytes(rng.randrange(256) for _ in range(element.type_length))
        data[element.type_at : element.type_at + element.type_length] = new
        return f"{element.path} at {element.type_at}: type {old.hex()} -> {new.hex()}"
    length = element.size_length
    if element.size_format == "ebml":
        largest = (1 << (7 * length)) - 1  # all ones: "unknown size"
        size = _new_size(rng, element.size, largest, len(data))
        encoded = ((1 << (8 * length - length)) | size).to_bytes(length, "big")
    else:
        size = _new_size(rng, element.size, 0xFFFFFFFF, len(data))
        encoded = size.to_bytes(4, "big" if element.size_format == "be32" else "little")
    data[element.size_at : element.size_at + length] = encoded
    return f"{element.path} at {element.size_at}: size {element.size} -> {size}"


def mutant(seed: int, container: str, index: int, clean: bytes) -> Mutant:
    """Mutant `index` of `seed` for `container`, made from its seed clip `clean`; the kinds
    take turns (flip, truncate, zero, box), so every kind gets a quarter of the mutants."""
    rng = random.Random(f"{seed}/{container}/{index}")
    kind = KINDS[index % len(KINDS)]
    data = bytearray(clean)
    size = len(data)
    if kind == "flip":
        flips = [(rng.randrange(size), rng.randint(1, 255)) for _ in range(rng.randint(1, 16))]
        for at, bits in flips:
            data[at] ^= bits
        damage = "xored (offset, bits) " + ", ".join(f"({at}, 0x{bits:02x})" for at, bits in flips)
    elif kind == "truncate":
        cut = rng.randrange(size)
        del data[cut:]
        damage = f"cut to {cut} of {size} bytes"
    elif kind == "zero":
        ranges = []
        for _ in range(rng.randint(1, 3)):
            at, length = rng.randrange(size), rng.choice([16, 256, 2048, rng.randint(1, 8192)])
            data[at : at + length] = bytes(len(data[at : at + length]))
            ranges.append((at, length))
        damage = f"zeroed (offset, length) {ranges}"
    else:
        damage = _damage_element(rng, container, data)
    return Mutant(seed, container, index, kind, bytes(data), damage)


def mutants(
    seed: int, count: int, clean: dict[str, bytes], containers: tuple[str, ...] | None = None
) -> Iterator[Mutant]:
    """`count` mutants spread evenly over the containers (round robin)."""
    names = containers or tuple(CONTAINERS)
    for n in range(count):
        container = names[n % len(names)]
        yield mutant(seed, container, n // len(names), clean[container])


@dataclass
class Outcome:
    """What happened to one mutant, and what was wrong with it."""

    mutant: Mutant
    command: list[str]
    exit_code: int | None = None
    stdout: str = ""
    stderr: str = ""
    hang: bool = False
    #: Frames the run said it annotated, from its summary line.
    frames: int | None = None
    problems: dict[str, str] = field(default_factory=dict)

    @property
    def failures(self) -> list[str]:
        return sorted(self.problems)

    def describe(self) -> str:
        """The failures, the damage and how to run this mutant again."""
        item = self.mutant
        lines = [
            f"{item.name}: {', '.join(self.failures) or 'no failure'} (exit {self.exit_code})",
            f"  damage: {item.kind}: {item.damage}",
            f"  again:  python benchmarks/fuzz.py --seed {item.seed} --only "
            f"{item.container}:{item.index}",
        ]
        for failure, detail in sorted(self.problems.items()):
            lines.append(f"  {failure}: " + detail.strip().replace("\n", "\n    "))
        return "\n".join(lines)


#: The failure kinds, in the order the benchmark's table shows them.
FAILURES = ("traceback", "unexpected", "hang", "signal", "exit", "unplayable", "keypoints")


def child_environment(folder: Path) -> dict[str, str]:
    """The environment for a command run on a mutant: PoseCam's log and settings inside
    `folder` (an unexpected error's traceback is read from there), never the user's."""
    env = dict(os.environ)
    env["XDG_STATE_HOME"] = str(folder / "state")
    env["XDG_CONFIG_HOME"] = str(folder / "config")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return env


def frames_that_play(path: Path) -> int:
    """How many frames the video at `path` gives when decoded to its end; raises on any error
    (a player would stop or show garbage there)."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        return sum(1 for _ in container.decode(stream))


def _keypoint_frames(path: Path) -> tuple[list[int], set[int]]:
    """(frames named in the file in order, frames where someone was seen), checked as a reader
    of the file would: a CSV header of our columns, no torn row, 33 rows a person."""
    if path.suffix == ".json":
        # Closed, it is JSON as it stands (a run stopped part way says "complete": false in
        # it, which is no fault); cut off, only read_json_keypoints could read it.
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            raise ValueError("the JSON file was not closed") from None
        frames = [entry["frame"] for entry in data["frames"]]
        seen = {e["frame"] for e in data["frames"] if any(p["seen"] for p in e["persons"])}
        return frames, seen
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    if not rows or tuple(rows[0]) != CSV_COLUMNS:
        raise ValueError("no CSV header")
    if any(len(row) != len(CSV_COLUMNS) for row in rows[1:]):
        raise ValueError("a torn row")
    if (len(rows) - 1) % 33:
        raise ValueError("a person with fewer than 33 landmark rows")
    frames = sorted({int(row[0]) for row in rows[1:]})
    return frames, {int(row[0]) for row in rows[1:] if row[3] == "1"}


_SUMMARY = re.compile(r": (\d+) frames?, (\d+) with a person")


def judge(outcome: Outcome, video: Path, keypoints: Path) -> None:
    """Check what a finished run left: the video (under its name or its partial name) plays to
    its end with the frames the summary names, and the keypoints end at its last frame."""
    code, err = outcome.exit_code, outcome.stderr
    if "Traceback" in err:
        outcome.problems["traceback"] = err.strip()[-2000:]
    if "unexpected error" in err:
        outcome.problems["unexpected"] = err.strip()
    if code is not None and code < 0:
        outcome.problems["signal"] = f"killed by signal {-code}"
    elif code not in (0, 2, None):
        outcome.problems["exit"] = f"exit code {code}"
    summary = _SUMMARY.search(outcome.stdout)
    outcome.frames = int(summary.group(1)) if summary else None
    with_person = int(summary.group(2)) if summary else None
    videos = [p for p in (video, video.with_suffix(".partial.mp4")) if p.exists()]
    points = [p for p in (keypoints, keypoints.with_suffix(".partial" + keypoints.suffix))
              if p.exists()]  # fmt: skip
    if outcome.hang:
        return  # killed by us: whatever it left is not a finished result
    if len(videos) > 1 or len(points) > 1:
        outcome.problems["unplayable"] = f"both a file and its partial file: {videos + points}"
    if not videos:
        if points:
            outcome.problems["keypoints"] = f"keypoints {points[0].name} without a video"
        if outcome.frames:
            outcome.problems["unplayable"] = f"{outcome.frames} frames said, no video left"
        return
    try:
        played = frames_that_play(videos[0])
    except (av.FFmpegError, IndexError, OSError) as exc:
        outcome.problems["unplayable"] = f"{videos[0].name}: {type(exc).__name__}: {exc}"
        return
    if played == 0 or (outcome.frames is not None and played != outcome.frames):
        outcome.problems["unplayable"] = (
            f"{videos[0].name}: {played} frames play, summary said {outcome.frames}"
        )
    if not points:
        outcome.problems["keypoints"] = f"{videos[0].name} has no keypoints file beside it"
        return
    try:
        frames, seen = _keypoint_frames(points[0])
    except (PoseCamError, ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        outcome.problems["keypoints"] = f"{points[0].name}: {exc}"
        return
    if points[0].suffix == ".json":
        # A JSON file has a line for every frame, with someone in it or not.
        if frames != list(range(played)):
            outcome.problems["keypoints"] = (
                f"{points[0].name}: frames {frames[:3]}...{frames[-3:]} ({len(frames)}), "
                f"the video has {played}"
            )
    elif (frames and frames[-1] >= played) or frames != sorted(set(frames)):
        outcome.problems["keypoints"] = (
            f"{points[0].name}: frames up to {frames[-1]}, video {played}"
        )
    if with_person is not None and len(seen) != with_person:
        outcome.problems["keypoints"] = (
            f"{points[0].name}: someone seen in {len(seen)} frames, the summary says {with_person}"
        )


def annotate_command(input_path: Path, video: Path, keypoints: Path, jobs: int = 1) -> list[str]:
    return [sys.executable, "-m", "desktop_app", "annotate", str(input_path), "-o", str(video),
            "--keypoints", str(keypoints), "--jobs", str(jobs)]  # fmt: skip


def run_annotate(item: Mutant, folder: Path, timeout_s: float = 60.0, jobs: int = 1) -> Outcome:
    """Write `item` into `folder` (created, and left there) and annotate it with the real
    command line in a child process; judge what it left."""
    folder.mkdir(parents=True, exist_ok=True)
    input_path = folder / f"{item.name}.{item.suffix}"
    input_path.write_bytes(item.data)
    video, keypoints = folder / "out.mp4", folder / f"keypoints{item.keypoints_suffix}"
    command = annotate_command(input_path, video, keypoints, jobs)
    outcome = Outcome(item, command)
    try:
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=timeout_s,
            env=child_environment(folder),
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired as exc:
        outcome.hang = True
        outcome.problems["hang"] = f"no end in {timeout_s:g} s"
        outcome.stdout = _text(exc.stdout)
        outcome.stderr = _text(exc.stderr)
    else:
        outcome.exit_code, outcome.stdout, outcome.stderr = (
            done.returncode,
            done.stdout,
            done.stderr,
        )
    judge(outcome, video, keypoints)
    if "unexpected" in outcome.problems:
        log = folder / "state" / "posecam" / "posecam.log"
        if log.exists():
            outcome.problems["unexpected"] += "\n" + log.read_text(errors="replace")[-3000:]
    return outcome


def _text(output: bytes | str | None) -> str:
    if isinstance(output, bytes):
        return output.decode(errors="replace")
    return output or ""


def decode_one(path: Path) -> str:
    """Read every frame of the video at `path` with PoseCam's file source, as `posecam
    annotate` does; returns "frames N" or "refused: MESSAGE". Anything other than PoseCam's
    one-line error goes up."""
    from desktop_app.media.sources import VideoFileSource

    frames = 0
    try:
        with VideoFileSource(path) as source:
            for frame in source:
                frames += 1
                if frame.rgb.shape[2] != 3 or frame.rgb.dtype != np.uint8:
                    raise AssertionError(f"frame {frames} is {frame.rgb.shape} {frame.rgb.dtype}")
    except PoseCamError as exc:
        if "\n" in str(exc):
            raise AssertionError(f"a message of more than one line: {exc!r}") from exc
        return f"refused after {frames} frames: {exc}"
    return f"frames {frames}"


def decode_in_child(paths: list[Path], timeout_s: float) -> dict[Path, str]:
    """Decode `paths` one after another in a child process (`python -m testsupport.fuzzing
    decode`), so that a hang or a crash is seen and blamed on the file being read, and the
    files after it are read by a new child. Returns what happened to each file: its
    `decode_one` result, or "hang ...", "signal N ..." or "traceback ..."."""
    results: dict[Path, str] = {}
    while remaining := [p for p in paths if p not in results]:
        blamed, failure = _decode_until_failure(remaining, timeout_s, results)
        if failure is None:
            break  # the child read every file
        results[blamed or remaining[0]] = failure
    return results


def _decode_until_failure(
    paths: list[Path], timeout_s: float, results: dict[Path, str]
) -> tuple[Path | None, str | None]:
    """Decode `paths` in one child, adding each result to `results`, until the child ends;
    returns the file it was reading when it failed and how, or (None, None)."""
    command = [sys.executable, "-m", "testsupport.fuzzing", "decode", *map(str, paths)]
    lines: queue.Queue[str | None] = queue.Queue()
    started: Path | None = None
    hang = False
    with (
        tempfile.TemporaryFile("w+", errors="replace") as err,
        subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=err, text=True, errors="replace", cwd=REPO
        ) as child,
    ):
        reader = threading.Thread(target=_lines_into, args=(child.stdout, lines), daemon=True)
        reader.start()
        while True:
            try:
                # Starting Python and importing PyAV is allowed longer than one file.
                line = lines.get(timeout=timeout_s if started is not None else 120.0)
            except queue.Empty:
                hang = True
                child.kill()
                break
            if line is None:
                break
            verb, _, rest = line.partition(" ")
            if verb == "start":
                started = Path(json.loads(rest))
            elif verb == "done" and started is not None:
                results[started], started = json.loads(rest), None
        code = child.wait()
        reader.join()
        err.seek(0)
        message = err.read()[-3000:]
    if hang:
        return started, f"hang (no end within {timeout_s:g} s)"
    if started is None and code == 0:
        return None, None
    how = f"signal {-code}" if code < 0 else f"traceback (exit {code})"
    return started, f"{how}: {message}"


def _lines_into(stream: IO[str] | None, lines: queue.Queue[str | None]) -> None:
    for line in stream or ():
        lines.put(line.rstrip("\n"))
    lines.put(None)


def _decode_main(paths: list[str]) -> int:
    for name in paths:
        print("start", json.dumps(name), flush=True)
        print("done", json.dumps(decode_one(Path(name))), flush=True)
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["decode"]:
        raise SystemExit(_decode_main(sys.argv[2:]))
    raise SystemExit("usage: python -m testsupport.fuzzing decode VIDEO...")
