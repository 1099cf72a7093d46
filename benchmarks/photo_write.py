"""Storing upload-sized photos: pages kept in the page cache against dropped after fsync.

Writes ``--photos`` fresh 2 MB buffers one after another through the photo store's write
path (temporary file, write, fsync, rename), once keeping each file's pages in the page
cache and once dropping them (``visitproof.store.photos.drop_cached_pages``), and prints the
process CPU per photo: the median of the first and the last 100 and the mean. The run length
matters: the difference shows once the writes have filled the free page cache.

    .venv/bin/python -m benchmarks.photo_write --photos 1500
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from visitproof.store.photos import drop_cached_pages


def write_all(folder: Path, photos: int, drop: bool) -> list[float]:
    """CPU milliseconds per photo for ``photos`` sequential 2 MB writes."""
    template = os.urandom(2_000_000)
    cpu_ms = []
    for index in range(photos):
        data = bytes(bytearray(template))  # a fresh buffer, as each upload brings one
        started = time.process_time()
        handle, temporary = tempfile.mkstemp(prefix=".incoming-", dir=folder)
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
            if drop:
                drop_cached_pages(stream.fileno())
        os.replace(temporary, folder / f"{index:06d}.jpg")
        cpu_ms.append((time.process_time() - started) * 1000)
    return cpu_ms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=1500)
    parser.add_argument("--dir", type=Path, default=None, help="where to write (default: a "
                        "temporary folder on the default temporary file system)")
    args = parser.parse_args()
    print(f"{platform.machine()}, {os.cpu_count()} CPUs; {args.photos} photos of 2 MB per run")
    print("| pages after fsync | first 100, median ms | last 100, median ms | mean ms |")
    print("|---|---:|---:|---:|")
    results = {}
    for drop in (False, True):
        folder = Path(tempfile.mkdtemp(prefix="photo-write-", dir=args.dir))
        try:
            cpu_ms = write_all(folder, args.photos, drop)
        finally:
            shutil.rmtree(folder)
        results[drop] = statistics.mean(cpu_ms)
        print(f"| {'dropped' if drop else 'kept'} | {statistics.median(cpu_ms[:100]):.2f} | "
              f"{statistics.median(cpu_ms[-100:]):.2f} | {statistics.mean(cpu_ms):.2f} |")
    print(f"kept / dropped, mean CPU per photo: {results[False] / results[True]:.2f}×")


if __name__ == "__main__":
    main()
