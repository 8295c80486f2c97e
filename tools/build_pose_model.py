#!/usr/bin/env python3
"""Build ``resources/models/pose_landmarker_full.task`` reproducibly.

Provenance
----------
PoseCam uses the MediaPipe Tasks ``PoseLandmarker``. Current mediapipe releases (>= 0.10.30)
ship no model files, and the Tasks API wants a ``.task`` bundle: a zip holding
``pose_detector.tflite`` and ``pose_landmarks_detector.tflite``.

The two networks used here are Google's BlazePose models (Apache-2.0) as shipped inside the
``mediapipe==0.10.21`` wheel on PyPI:

* ``mediapipe/modules/pose_detection/pose_detection.tflite``
  becomes ``pose_detector.tflite``
* ``mediapipe/modules/pose_landmark/pose_landmark_full.tflite``
  becomes ``pose_landmarks_detector.tflite``

Those files carry no TFLite metadata, and the Tasks API refuses models without the image
NormalizationOptions. This script adds that metadata with the MetadataWriter from the same
0.10.21 wheel (detector input in [-1, 1]: mean 127.5, std 127.5; landmark input in [0, 1]:
mean 0, std 255) and zips both files deterministically, so that every run on every machine
gives a byte-identical bundle. The SHA-256 of the source files is pinned below; they are the
same in the Linux and macOS wheels.

Because mediapipe 0.10.21 needs numpy<2 (unlike the project environment), the metadata step
runs in a throwaway venv that this script creates in a temporary directory. The outer part of
the script uses only the standard library.

Usage
-----
    python tools/build_pose_model.py                       # fresh venv (~1 GB download)
    python tools/build_pose_model.py --python-021 /path/to/python   # reuse a 0.10.21 env
    python tools/build_pose_model.py --verify              # only check the existing bundle

The build writes ``pose_landmarker_full.task`` and ``pose_landmarker_full.task.sha256`` to
``--out`` (default ``resources/models`` in the repository). When the running interpreter has
mediapipe >= 1.2 installed (the project venv), the bundle is verified right after building:
it is loaded with the Tasks ``PoseLandmarker`` and run on matplotlib's ``grace_hopper.jpg``
and, if available, on a reference image with Google's expected landmarks.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import venv
import zipfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO_ROOT / "resources" / "models"
DEFAULT_REFERENCE_DIR = REPO_ROOT.parent / "shared" / "data" / "mediapipe_reference"

BUNDLE_NAME = "pose_landmarker_full.task"
MEDIAPIPE_SOURCE_VERSION = "0.10.21"

# The metadata step re-serialises the whole model with the pure-Python flatbuffers package,
# so its version could in principle change the output bytes. Pin the version the published
# hash was produced with; mediapipe 0.10.21 only asks for flatbuffers>=2.0.
FLATBUFFERS_VERSION = "25.12.19"
PIP_REQUIREMENTS = [
    f"mediapipe=={MEDIAPIPE_SOURCE_VERSION}",
    "numpy<2",
    f"flatbuffers=={FLATBUFFERS_VERSION}",
]

LICENSE_NOTE = (
    "Apache-2.0. Model weights by Google (MediaPipe BlazePose), taken unchanged from the "
    f"mediapipe=={MEDIAPIPE_SOURCE_VERSION} wheel; only TFLite metadata was added."
)

# One entry per member of the bundle, in the order they are written to the zip.
# ``outputs`` lists the expected output tensor shapes: the counts are read from the model and
# checked against these, because the Tasks graph maps outputs by position.
MODELS = [
    {
        "member": "pose_detector.tflite",
        "source": "modules/pose_detection/pose_detection.tflite",
        "sha256": "9ba9dd3d42efaaba86b4ff0122b06f29c4122e756b329d89dca1e297fd8f866c",
        "name": "PoseCam pose detector",
        "description": (
            "BlazePose person detector (224x224 RGB). Finds the person and the alignment "
            "keypoints that the landmark model uses to crop the body."
        ),
        # Detector expects input scaled to [-1, 1].
        "norm_mean": 127.5,
        "norm_std": 127.5,
        "outputs": [
            # 2254 anchors x (box 4 + 4 keypoints x 2) regressors.
            ("detection box and keypoint regressors", [1, 2254, 12]),
            ("detection scores (logits)", [1, 2254, 1]),
        ],
    },
    {
        "member": "pose_landmarks_detector.tflite",
        "source": "modules/pose_landmark/pose_landmark_full.tflite",
        "sha256": "e9a5c5cb17f736fafd4c2ec1da3b3d331d6edbe8a0d32395855aeb2cdfd64b9f",
        "name": "PoseCam pose landmarks (full)",
        "description": (
            "BlazePose GHUM 3D landmark model, 'full' variant (256x256 RGB crop). Predicts 33 "
            "body landmarks, world landmarks, pose presence and a segmentation mask."
        ),
        # Landmark model expects input scaled to [0, 1].
        "norm_mean": 0.0,
        "norm_std": 255.0,
        "outputs": [
            ("33 landmarks x (x, y, z, visibility, presence) plus 6 auxiliary points", [1, 195]),
            ("pose presence score (logit)", [1, 1]),
            ("segmentation mask (logits)", [1, 256, 256, 1]),
            ("landmark heatmap", [1, 64, 64, 39]),
            ("33 world landmarks x (x, y, z) in metres plus auxiliary points", [1, 117]),
        ],
    },
]

# Fixed zip entry attributes: the DOS epoch timestamp (earliest a zip can store), Unix host,
# and rw-r--r-- regular-file permissions, so nothing depends on the build machine.
ZIP_DATE_TIME = (1980, 1, 1, 0, 0, 0)
ZIP_CREATE_SYSTEM_UNIX = 3
ZIP_FILE_MODE = 0o100644

# MediaPipe reads stored members in place, and TFLite wants tensor data at least 4-byte
# aligned (else it logs "unaligned buffer ... copying"). The tensor buffers are aligned within
# each .tflite, so start every member's data on a 64-byte boundary by padding the local
# header's extra field, as Android's zipalign does (extra-field ID 0xD935: 2-byte alignment,
# then zeros).
ZIP_ALIGNMENT = 64
ZIP_ALIGN_EXTRA_ID = 0xD935
ZIP_LOCAL_HEADER_SIZE = 30


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --------------------------------------------------------------------------------------------
# Inner mode: runs inside the interpreter that has mediapipe 0.10.21.
# --------------------------------------------------------------------------------------------


def inner_write_metadata(work_dir: Path) -> None:
    """Write each source model with metadata to ``work_dir/<member>``."""
    # Imported here: these modules exist only in the 0.10.21 environment.
    import importlib.util

    from mediapipe.tasks.python.metadata.metadata_writers import (
        metadata_info,
        metadata_writer,
        writer_utils,
    )

    installed = importlib.metadata.version("mediapipe")
    if installed != MEDIAPIPE_SOURCE_VERSION:
        sys.exit(f"inner: expected mediapipe {MEDIAPIPE_SOURCE_VERSION}, found {installed}")
    fb_version = importlib.metadata.version("flatbuffers")
    if fb_version != FLATBUFFERS_VERSION:
        print(
            f"inner: WARNING flatbuffers {fb_version} != pinned {FLATBUFFERS_VERSION}; "
            "the bundle may not be byte-identical to the published hash.",
            file=sys.stderr,
        )

    # Locate the package directory without assuming a site-packages layout.
    spec = importlib.util.find_spec("mediapipe")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("inner: cannot locate the mediapipe package")
    package_dir = Path(next(iter(spec.submodule_search_locations)))

    for model in MODELS:
        source = package_dir / model["source"]
        data = source.read_bytes()
        digest = sha256_hex(data)
        if digest != model["sha256"]:
            sys.exit(
                f"inner: {source} has SHA-256 {digest}, expected {model['sha256']}; "
                "refusing to build from an unknown model."
            )

        # Read the tensor layout from the model itself and check it against what the
        # Tasks graph expects, rather than trusting the hard-coded list blindly.
        subgraph = writer_utils.get_subgraph(data)
        if subgraph.InputsLength() != 1:
            sys.exit(f"inner: {source} has {subgraph.InputsLength()} inputs, expected 1")
        shapes = [
            subgraph.Tensors(subgraph.Outputs(i)).ShapeAsNumpy().tolist()
            for i in range(subgraph.OutputsLength())
        ]
        expected = [shape for _, shape in model["outputs"]]
        if shapes != expected:
            sys.exit(f"inner: {source} output shapes {shapes}, expected {expected}")
        names = writer_utils.get_output_tensor_names(data)

        writer = metadata_writer.MetadataWriter.create(data)
        writer.add_general_info(model["name"], model["description"])
        # add_general_info() only takes name and description; the GeneralMd container it
        # fills also has version/author/licenses, so set the complete record directly.
        writer._general_md = metadata_info.GeneralMd(
            name=model["name"],
            version=f"mediapipe-{MEDIAPIPE_SOURCE_VERSION}",
            description=model["description"],
            author="Google MediaPipe (model); metadata added by PoseCam build_pose_model.py",
            licenses=LICENSE_NOTE,
        )
        writer.add_image_input(norm_mean=[model["norm_mean"]], norm_std=[model["norm_std"]])
        for (description, _shape), tensor_name in zip(model["outputs"], names, strict=True):
            # Keep the model's own tensor names (Identity, Identity_1, ...); the Tasks graph
            # addresses outputs by index, the description is for humans.
            writer.add_feature_output(name=tensor_name, description=description)
        populated, _json = writer.populate()

        out = work_dir / model["member"]
        out.write_bytes(bytes(populated))
        print(
            f"inner: {model['member']}: {len(shapes)} outputs {names}, "
            f"norm mean {model['norm_mean']} std {model['norm_std']}, {out.stat().st_size} bytes"
        )


# --------------------------------------------------------------------------------------------
# Outer mode: stdlib only.
# --------------------------------------------------------------------------------------------


def make_venv(base: Path) -> Path:
    """Create a throwaway venv with mediapipe 0.10.21 and return its python."""
    # The venv reuses this interpreter: mediapipe 0.10.21 has wheels up to 3.12 only, and the
    # inner code (run by the venv's python) uses Python 3.10 features.
    if not (3, 10) <= sys.version_info[:2] <= (3, 12):
        sys.exit(
            f"The throwaway venv needs Python 3.10-3.12 (mediapipe {MEDIAPIPE_SOURCE_VERSION} "
            "wheels); run this script with such an interpreter or pass --python-021."
        )
    env_dir = base / "venv-mp021"
    print(f"Creating throwaway venv in {env_dir} ...")
    venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
    bindir = "Scripts" if os.name == "nt" else "bin"
    python = env_dir / bindir / ("python.exe" if os.name == "nt" else "python")
    print(f"Installing {' '.join(PIP_REQUIREMENTS)} (large download) ...")
    subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-input",
            *PIP_REQUIREMENTS,
        ],
        check=True,
    )
    return python


def alignment_extra(header_offset: int, name: str) -> bytes:
    """Extra field that makes the member's data start on a ZIP_ALIGNMENT boundary."""
    fixed = ZIP_LOCAL_HEADER_SIZE + len(name.encode()) + 6  # 6: field ID, size, alignment
    padding = -(header_offset + fixed) % ZIP_ALIGNMENT
    return (
        ZIP_ALIGN_EXTRA_ID.to_bytes(2, "little")
        + (2 + padding).to_bytes(2, "little")
        + ZIP_ALIGNMENT.to_bytes(2, "little")
        + bytes(padding)
    )


def build_zip(members: list[tuple[str, bytes]]) -> bytes:
    """Zip members in the given order with fixed metadata; same input -> same bytes."""
    buffer = io.BytesIO()
    # ZIP_STORED: no compressor whose output could vary between zlib builds, and MediaPipe can
    # use stored members without unpacking them.
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE_TIME)
            info.compress_type = zipfile.ZIP_STORED
            info.create_system = ZIP_CREATE_SYSTEM_UNIX
            info.external_attr = ZIP_FILE_MODE << 16
            info.extra = alignment_extra(buffer.tell(), name)
            archive.writestr(info, data)
    bundle = buffer.getvalue()

    # Check the alignment from the bytes actually written (zipfile could add its own extras).
    with zipfile.ZipFile(io.BytesIO(bundle)) as archive:
        for info in archive.infolist():
            local = bundle[info.header_offset : info.header_offset + ZIP_LOCAL_HEADER_SIZE]
            name_len = int.from_bytes(local[26:28], "little")
            extra_len = int.from_bytes(local[28:30], "little")
            start = info.header_offset + ZIP_LOCAL_HEADER_SIZE + name_len + extra_len
            if start % ZIP_ALIGNMENT:
                raise RuntimeError(f"{info.filename} data at {start} is not aligned")
    return bundle


def write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def build(out_dir: Path, python_021: str | None) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="posecam-pose-model-") as tmp:
        tmp_path = Path(tmp)
        python = python_021 or str(make_venv(tmp_path))
        work_dir = tmp_path / "models"
        work_dir.mkdir()
        subprocess.run(
            [python, str(Path(__file__).resolve()), "--inner", str(work_dir)], check=True
        )
        members = [(m["member"], (work_dir / m["member"]).read_bytes()) for m in MODELS]

    bundle = build_zip(members)
    digest = sha256_hex(bundle)
    bundle_path = out_dir / BUNDLE_NAME
    sha_path = out_dir / (BUNDLE_NAME + ".sha256")

    previous = sha_path.read_text().split()[0] if sha_path.exists() else None
    write_atomic(bundle_path, bundle)
    # sha256sum format, so `sha256sum -c` works from inside the output directory.
    write_atomic(sha_path, f"{digest}  {BUNDLE_NAME}\n".encode())

    print(f"Wrote {bundle_path} ({len(bundle)} bytes)")
    print(f"SHA-256 {digest}")
    if previous and previous != digest:
        print(f"WARNING: hash changed from the previous {previous}", file=sys.stderr)
    return bundle_path


# --------------------------------------------------------------------------------------------
# Verification: needs mediapipe >= 1.2 (Tasks API) in the running interpreter.
# --------------------------------------------------------------------------------------------


def have_tasks_mediapipe() -> bool:
    try:
        version = importlib.metadata.version("mediapipe")
    except importlib.metadata.PackageNotFoundError:
        return False
    parts = [int(p) for p in version.split(".")[:2] if p.isdigit()]
    return len(parts) == 2 and tuple(parts) >= (1, 2)


def grace_hopper_path(tmp_dir: Path) -> Path:
    """Path to matplotlib's sample image; older versions return a file object, not a path."""
    from matplotlib import cbook

    sample = cbook.get_sample_data("grace_hopper.jpg")
    if isinstance(sample, (str, os.PathLike)):
        return Path(sample)
    with sample:
        name = getattr(sample, "name", None)
        if isinstance(name, str) and Path(name).is_file():
            return Path(name)
        path = tmp_dir / "grace_hopper.jpg"
        path.write_bytes(sample.read())
        return path


def verify(bundle_path: Path, reference_dir: Path) -> bool:
    import mediapipe as mp
    from mediapipe.tasks.python import BaseOptions, vision

    ok = True
    data = bundle_path.read_bytes()
    sha_path = bundle_path.with_name(bundle_path.name + ".sha256")
    if sha_path.exists():
        recorded = sha_path.read_text().split()[0]
        if recorded != sha256_hex(data):
            print(f"FAIL: {bundle_path.name} does not match {sha_path.name}")
            ok = False
        else:
            print(f"OK: SHA-256 matches {sha_path.name} ({recorded})")

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
    if names != [m["member"] for m in MODELS]:
        print(f"FAIL: unexpected bundle members {names}")
        ok = False

    options = vision.PoseLandmarkerOptions(
        base_options=BaseOptions(model_asset_buffer=data),
        running_mode=vision.RunningMode.IMAGE,
        num_poses=1,
    )
    landmarker = vision.PoseLandmarker.create_from_options(options)
    # Closed explicitly: the landmarker's __del__ fails when it runs at interpreter exit.
    try:
        with tempfile.TemporaryDirectory() as tmp:
            path = grace_hopper_path(Path(tmp))
            image = mp.Image.create_from_file(str(path))
            result = landmarker.detect(image)
        if len(result.pose_landmarks) != 1 or len(result.pose_landmarks[0]) != 33:
            print(
                f"FAIL: grace_hopper.jpg: expected 1 pose of 33 landmarks, got "
                f"{[len(p) for p in result.pose_landmarks]}"
            )
            ok = False
        else:
            nose = result.pose_landmarks[0][0]
            print(
                f"OK: grace_hopper.jpg: 1 pose, 33 landmarks, nose at "
                f"({nose.x * image.width:.0f}, {nose.y * image.height:.0f}) px"
            )

        expected_path = reference_dir / "yoga_warrior_beach.mediapipe_expected.json"
        if not expected_path.is_file():
            print(f"SKIP: reference comparison ({expected_path} not found)")
            return ok
        expected = json.loads(expected_path.read_text())
        image = mp.Image.create_from_file(str(reference_dir / expected["image"]))
        result = landmarker.detect(image)
    finally:
        landmarker.close()

    if len(result.pose_landmarks) != 1:
        print(f"FAIL: {expected['image']}: {len(result.pose_landmarks)} poses, expected 1")
        return False
    errors = [
        ((lm.x * image.width - ex) ** 2 + (lm.y * image.height - ey) ** 2) ** 0.5
        for lm, (ex, ey) in zip(result.pose_landmarks[0], expected["landmarks_px"], strict=True)
    ]
    # Google's own test allows 11 px for the MediaPipe runtime.
    tolerance = expected.get("tolerances_used_upstream", {}).get(
        "landmarks_px_mediapipe_runtime", 11
    )
    worst = max(range(len(errors)), key=errors.__getitem__)
    verdict = "OK" if errors[worst] <= tolerance else "FAIL"
    print(
        f"{verdict}: {expected['image']}: landmark error median {statistics.median(errors):.1f} "
        f"px, max {errors[worst]:.1f} px ({expected['landmark_names'][worst]}), "
        f"tolerance {tolerance} px"
    )
    return ok and verdict == "OK"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help=f"output directory (default: {DEFAULT_OUT})"
    )
    parser.add_argument(
        "--python-021",
        metavar="PATH",
        help=f"reuse this interpreter, which has mediapipe=="
        f"{MEDIAPIPE_SOURCE_VERSION}, instead of making a venv",
    )
    parser.add_argument(
        "--verify", action="store_true", help="only verify the existing bundle in --out"
    )
    parser.add_argument(
        "--no-verify", action="store_true", help="skip the verification after building"
    )
    parser.add_argument(
        "--reference-dir",
        type=Path,
        default=DEFAULT_REFERENCE_DIR,
        help="directory with the yoga reference image and expected landmarks "
        "(optional; skipped if missing)",
    )
    # Internal: the outer process re-runs this file in the 0.10.21 interpreter with this flag.
    parser.add_argument("--inner", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.inner:
        inner_write_metadata(args.inner)
        return 0

    bundle_path = args.out / BUNDLE_NAME
    if not args.verify:
        bundle_path = build(args.out, args.python_021)
        if args.no_verify:
            return 0

    if not have_tasks_mediapipe():
        if args.verify:
            print("--verify needs mediapipe >= 1.2 in this interpreter.", file=sys.stderr)
            return 2
        script = Path(__file__).resolve().relative_to(REPO_ROOT)
        print(
            "Not verified: this interpreter lacks mediapipe >= 1.2. Verify with the project "
            f"venv:\n  <venv>/bin/python {script} --verify --out {args.out}"
        )
        return 0
    return 0 if verify(bundle_path, args.reference_dir) else 1


if __name__ == "__main__":
    sys.exit(main())
