"""Fill zh_CN translations from a JSON file of {msgid: msgstr} (for plurals: msgid is the singular).

python scripts/translate.py translations.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

PO = Path(__file__).resolve().parent.parent / "community/locales/zh_CN/LC_MESSAGES/messages.po"


def main(path: str) -> None:
    new = json.loads(Path(path).read_text())
    with PO.open("rb") as fh:
        catalog = read_po(fh, locale="zh_CN")
    for message in catalog:
        key = message.id[0] if isinstance(message.id, tuple) else message.id
        if key in new:
            message.string = (new[key],) if isinstance(message.id, tuple) else new[key]
            message.flags.discard("fuzzy")
    with PO.open("wb") as fh:
        write_po(fh, catalog, width=110, omit_header=False)


if __name__ == "__main__":
    main(sys.argv[1])
