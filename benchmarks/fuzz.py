"""Damaged videos through the real command line: `posecam annotate` on hundreds of mutants of
small real clips (MP4, MKV, WebM, AVI), each in a process of its own with a time limit.

    python benchmarks/fuzz.py [--mutants 500] [--seed 0] [--jobs 2] [--timeout 60]
    python benchmarks/fuzz.py --seed 0 --only mp4:17      # one mutant again, with its output
    python benchmarks/fuzz.py --seed-frames 210 --annotate-jobs 2   # annotate --jobs 2

Mutant i of seed s is always the same file (testsupport/fuzzing.py says how each is made).
Prints a table per container and kind of damage: how many ran, exited 0 and 2, and how many
gave a traceback, an unexpected error, a hang, a signal, another exit code, an output video
that does not play, or keypoints that do not end at the video's last frame; then each failure
with what it takes to reproduce it (its mutant is kept under --keep). Exits 1 on any failure.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from testsupport.fuzzing import (
    CONTAINERS,
    FAILURES,
    KINDS,
    SEED_FRAMES,
    Mutant,
    Outcome,
    annotate_command,
    mutant,
    mutants,
    run_annotate,
    seed_clips,
)

COLUMNS = ("count", "exit 0", "exit 2", *FAILURES)


def table(outcomes: list[Outcome]) -> str:
    """One row per container and kind, a total per container, and the total of all."""
    rows: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for outcome in outcomes:
        item = outcome.mutant
        for key in ((item.container, item.kind), (item.container, "all"), ("all", "all")):
            counts = rows[key]
            counts["count"] += 1
            counts[f"exit {outcome.exit_code}"] += 1
            counts.update(outcome.failures)
    width = {c: max(len(c), 5) + 2 for c in COLUMNS}
    lines = [f"{'container':<10}{'damage':<9}" + "".join(f"{c:>{width[c]}}" for c in COLUMNS)]
    for container in (*CONTAINERS, "all"):
        for kind in (*KINDS, "all") if container != "all" else ("all",):
            counts = rows.get((container, kind))
            if counts:
                cells = "".join(f"{counts[c]:>{width[c]}}" for c in COLUMNS)
                lines.append(f"{container:<10}{kind:<9}{cells}")
    return "\n".join(lines)


def reproduction(outcome: Outcome, kept: Path, jobs: int) -> str:
    """How to see the failure again: the benchmark, or the command on the kept mutant."""
    suffix = outcome.mutant.keypoints_suffix
    video, keypoints = kept.parent / "out.mp4", kept.parent / f"keypoints{suffix}"
    command = " ".join(annotate_command(kept, video, keypoints, jobs)[1:])
    head, _, details = outcome.describe().partition("\n")
    return f"{head}\n  mutant: {kept}\n  or:     python {command} --overwrite\n{details}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mutants", type=int, default=500, help="how many (default: 500)")
    parser.add_argument("--seed", type=int, default=0, help="which mutants (default: 0)")
    parser.add_argument("--jobs", type=int, default=2, help="runs at once (default: 2)")
    parser.add_argument("--timeout", type=float, default=60.0, help="a hang, in seconds")
    parser.add_argument("--only", metavar="CONTAINER:INDEX", help="run this one mutant")
    parser.add_argument(
        "--seed-frames",
        type=int,
        default=SEED_FRAMES,
        help="frames in each seed clip, at 30 fps (default: %(default)s)",
    )
    parser.add_argument("--annotate-jobs", type=int, default=1,
                        help="annotate's --jobs; with 2, seed clips of 180 frames or more are "
                        "searched in segments (default: %(default)s)")  # fmt: skip
    parser.add_argument("--keep", type=Path, default=Path(tempfile.gettempdir()) / "posecam-fuzz",
                        help="where failing mutants are kept (default: %(default)s)")  # fmt: skip
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="posecam-fuzz-") as scratch:
        work = Path(scratch)
        clean = seed_clips(work / "seeds", args.seed_frames)
        print(f"seed clips: {', '.join(f'{name} {len(data)} B' for name, data in clean.items())}")
        if args.only:
            container, index = args.only.split(":")
            todo: list[Mutant] = [mutant(args.seed, container, int(index), clean[container])]
        else:
            todo = list(mutants(args.seed, args.mutants, clean))
        outcomes = _run_all(todo, work, args)
        print()
        print(table(outcomes))
        failed = [o for o in outcomes if o.failures]
        for outcome in failed:
            kept = (
                args.keep / outcome.mutant.name / f"{outcome.mutant.name}.{outcome.mutant.suffix}"
            )
            kept.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(work / outcome.mutant.name / kept.name, kept)
            print()
            print(reproduction(outcome, kept, args.annotate_jobs))
        if args.only and outcomes:
            print(f"\nexit {outcomes[0].exit_code}\nstdout: {outcomes[0].stdout.strip()}")
            print(f"stderr: {outcomes[0].stderr.strip()}")
    print(f"\n{len(failed)} of {len(outcomes)} mutants failed")
    return 1 if failed else 0


def _run_all(todo: list[Mutant], work: Path, args: argparse.Namespace) -> list[Outcome]:
    started = time.perf_counter()
    outcomes: list[Outcome] = []
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = [
            pool.submit(run_annotate, item, work / item.name, args.timeout, args.annotate_jobs)
            for item in todo
        ]
        for done, future in enumerate(as_completed(futures), 1):
            outcome = future.result()
            outcomes.append(outcome)
            if outcome.failures or done % 20 == 0 or done == len(todo):
                elapsed = time.perf_counter() - started
                failing = sum(1 for o in outcomes if o.failures)
                note = f"  {outcome.mutant.name}: {', '.join(outcome.failures)}"
                print(f"{done}/{len(todo)} in {elapsed:.0f} s, {failing} failing"
                      + (note if outcome.failures else ""), flush=True)  # fmt: skip
            # Keep the scratch folder small: only failures need their files.
            if not outcome.failures:
                shutil.rmtree(work / outcome.mutant.name, ignore_errors=True)
    outcomes.sort(key=lambda o: (o.mutant.container, o.mutant.index))
    return outcomes


if __name__ == "__main__":
    raise SystemExit(main())
