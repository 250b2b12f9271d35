"""Benchmark: inclusion-proof time from the database log at 1,000 and at 1,000,000 leaves.

The log's ``RegistryNode`` rows are filled directly (``bulk_create`` of what
``merkle.new_full_subtrees`` returns for each appended leaf, as ``registry_append`` writes them,
without credentials), first to 1,000 leaves and then on to 1,000,000. At each size the script
times ``registry.inclusion_proof(index, size)`` — the database reads and the hashing of the one
proof element that is not a stored subtree — for random leaves, and checks each proof against
the root. Prints the median, mean and 95th percentile per proof and the ratio of the medians.
Targets (issue 4): the proof at 1,000,000 leaves ≤ 2 × the proof at 1,000, and ≤ 5 ms.

    .venv/bin/python bench/inclusion_proof.py [--large 1000000] [--samples 2000]

Uses a fresh SQLite file unless DATABASE_URL is set (then the log must be empty).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import setup_django  # noqa: E402

BATCH = 20_000


def fill(start: int, end: int, written: dict[tuple[int, int], bytes]) -> None:
    """Append leaves ``start..end-1`` (leaf data: the index) as RegistryNode rows."""
    from django.db import transaction

    from public_verify import merkle
    from public_verify.models import RegistryHead, RegistryNode

    for first in range(start, end, BATCH):
        rows = []
        for index in range(first, min(first + BATCH, end)):
            leaf = merkle.leaf_hash(index.to_bytes(8, "big"))
            for level, idx, value in merkle.new_full_subtrees(
                lambda lvl, i: written[(lvl, i)], index, leaf
            ):
                written[(level, idx)] = value
                rows.append(RegistryNode(level=level, index=idx, hash=value.hex()))
        with transaction.atomic():
            RegistryNode.objects.bulk_create(rows, batch_size=5_000)
            RegistryHead.objects.update_or_create(pk=1, defaults={"size": min(first + BATCH, end)})
        # Later appends only look up left children whose right sibling is not complete yet.
        done = min(first + BATCH, end)
        for key in [k for k in written if k[1] % 2 or (k[1] + 2) << k[0] <= done]:
            del written[key]


def measure(size: int, samples: int, rng: random.Random) -> list[float]:
    """Seconds per inclusion proof of random leaves in a tree of ``size``; each proof checked."""
    from django.db import reset_queries

    from public_verify import merkle, registry

    root = registry.root(size)
    for index in (0, size - 1):  # warm the connection and the statement cache
        registry.inclusion_proof(index, size)
    timings = []
    for _ in range(samples):
        index = rng.randrange(size)
        started = time.perf_counter()
        proof = registry.inclusion_proof(index, size)
        timings.append(time.perf_counter() - started)
        merkle.verify_inclusion(
            merkle.leaf_hash(index.to_bytes(8, "big")), index, size, proof, root
        )
        reset_queries()
    return timings


def report(size: int, timings: list[float]) -> float:
    ms = sorted(t * 1000 for t in timings)
    median = statistics.median(ms)
    p95 = ms[int(0.95 * (len(ms) - 1))]
    print(
        f"{size:>9,} leaves: median {median:.3f} ms, mean {statistics.fmean(ms):.3f} ms, "
        f"p95 {p95:.3f} ms ({len(ms)} proofs)"
    )
    return median


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=2_000)
    args = parser.parse_args()
    setup_django()

    from django.db import connection

    from public_verify.models import RegistryNode

    if RegistryNode.objects.exists():
        sys.exit("the database's registry log is not empty; use a throw-away database")
    print(f"database: {connection.vendor}")
    rng = random.Random(4)
    written: dict[tuple[int, int], bytes] = {}

    started = time.perf_counter()
    fill(0, args.small, written)
    small = report(args.small, measure(args.small, args.samples, rng))

    fill(args.small, args.large, written)
    print(
        f"filled {args.large:,} leaves ({RegistryNode.objects.count():,} node rows) in "
        f"{time.perf_counter() - started:.0f} s"
    )
    large = report(args.large, measure(args.large, args.samples, rng))

    ratio = large / small
    print(f"ratio of medians {args.large:,} / {args.small:,}: {ratio:.2f} (target ≤ 2)")
    print(f"median at {args.large:,}: {large:.3f} ms (target ≤ 5 ms)")
    print("targets met" if ratio <= 2 and large <= 5 else "TARGETS MISSED")


if __name__ == "__main__":
    main()
