"""`python -m seatbatch.docs [DIR]`: write the generated documents into DIR (default: docs);
with `--check`, only say which differ (exit 1) and write nothing."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from seatbatch.docs import REGENERATE, generate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m seatbatch.docs", description=__doc__)
    parser.add_argument("folder", nargs="?", default="docs", type=Path)
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if a document differs from what is written")
    options = parser.parse_args(argv)
    folder: Path = options.folder
    stale = []
    for name, text in generate().items():
        path = folder / name
        if path.is_file() and path.read_text(encoding="utf-8") == text:
            continue
        stale.append(path)
        if not options.check:
            folder.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path}")
    if options.check and stale:
        print(f"out of date: {', '.join(map(str, stale))}; run `{REGENERATE}`", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
