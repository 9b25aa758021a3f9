"""The shared kernel: what every zone needs and writes once.

- ``clock``: the site's time zone, ``now()`` and ``today()``.
- ``text``: the one text cleaner (``clean_body`` for what a person wrote, ``clean_line`` for one line).
- ``search_text``: the one search-text preparer (markdown rendered, scrubbed to text, one length limit).
- ``exports``: CSV and XLSX with the formula guard, Atom feeds, download names.
- ``tokens``: signed tokens for links that work without logging in.
- ``models``: an enum column, a page of results, ``get_or_404``, ``from_attributes`` (a typed output from an
  object's attributes, by msgspec).
- ``labels``: the reader's words for a zone's codes (``Labels``).
- ``zones``: the ``Zone`` a zone declares in its ``__init__.py``, and the periodic work it asks for.

The kernel imports no zone and nothing of the web layer.
"""
