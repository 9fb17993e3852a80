"""Build ``src/identilink/bench/census_names.tsv.gz`` from the US Census 1990 name files.

    python scripts/census_names.py DIR  # dist.all.last, dist.female.first, dist.male.first

The files are the Census Bureau's "Frequently Occurring Names" of the 1990 census (public
domain; also shipped by the ``names`` package on PyPI). The table keeps the 10,000 most
frequent surnames and the 1,000 most frequent given names of each sex, weighted in millionths
of the population (given names: half female, half male). Renormalising over the kept names
makes every name a little more frequent than in the census, so name collisions in generated
data are, if anything, more common than in the US population.
"""

from __future__ import annotations

import gzip
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "src" / "identilink" / "bench" / "census_names.tsv.gz"


def _read(path: Path, limit: int) -> list[tuple[str, float]]:
    rows = []
    for line in path.read_text().splitlines()[:limit]:
        name, percent = line.split()[:2]
        rows.append((name.lower(), float(percent)))
    return rows


def main() -> None:
    src = Path(sys.argv[1])
    last = _read(src / "dist.all.last", 10_000)
    first: Counter[str] = Counter()
    for sex in ("female", "male"):
        rows = _read(src / f"dist.{sex}.first", 1_000)
        total = sum(p for _, p in rows)
        for name, p in rows:
            first[name] += 0.5 * p / total
    total_last = sum(p for _, p in last)
    lines = ["kind\tname\tper_million"]
    lines += [f"first\t{n}\t{max(1, round(w * 1e6))}" for n, w in first.most_common()]
    lines += [f"last\t{n}\t{max(1, round(p / total_last * 1e6))}" for n, p in last]
    with gzip.GzipFile(OUT, "wb", mtime=0) as f:
        f.write(("\n".join(lines) + "\n").encode())
    print(f"wrote {OUT} ({OUT.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
