"""``python -m community.matching.build_apart ORDER``: build one matching index in this process, for the web
or worker process that started it (``community.matching.indexes``: what to build is pickled in ORDER, and what
was built is written beside it in pieces)."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from community.matching.indexes import build_in_child


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    build_in_child(Path(sys.argv[1]))


if __name__ == "__main__":
    main()
