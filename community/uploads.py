"""Private uploaded files (CVs, proofs): kept outside the static files under a directory from the settings,
each under a random name that says nothing of the person or the file, readable by the app's user only.

Nothing here decides who may read a file: the zone that owns it checks that, then serves the path this module
gives back (as an attachment, with nosniff).

Reading a PDF is CPU work that an uploader controls (a 9 MB file can hold 100,000 pages, and pypdf holds the
GIL), so ``check_pdf`` never parses on the event loop: a child process reads it, counting pages only up to a
cap, under a hard timeout (a thread could not be stopped) and a memory limit, and is killed when either runs
out. Writing and deleting the stored file run in a worker thread for the same reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import io
import os
import re
import secrets
import sys
import weakref
from pathlib import Path
from typing import Any

PDF_MAGIC = b"%PDF-"
# What ``save_private`` makes: 32 hex characters and a short extension. Anything else is not ours.
_STORED_NAME = re.compile(r"^[0-9a-f]{32}\.[a-z0-9]{1,5}$")
# PDF checks running at once in one app process (each is a child process busy on a core).
PDF_CHECKS_AT_ONCE = 2
# The address space a PDF check may use: plenty for a CV of 10 MB, not for a decompression bomb.
PDF_CHECK_MEMORY_BYTES = 1024 * 1024 * 1024
_PACKAGE_PARENT = str(Path(__file__).resolve().parent.parent)


class PdfCheck(enum.Enum):
    """What reading an uploaded PDF found."""

    OK = "ok"
    NOT_PDF = "not_pdf"  # it does not start like a PDF, does not parse, or has no page
    TOO_MANY_PAGES = "too_many_pages"
    TIMED_OUT = "timed_out"  # not read within the time given (the reader was killed)


def count_pdf_pages(content: bytes, cap: int) -> int | None:
    """The pages of the PDF ``content``, counted up to ``cap + 1`` and no further; None when it is not a PDF.

    The page tree is walked by hand rather than with ``len(reader.pages)``, which builds every page of the
    document (seconds for 100,000 pages) before a cap could say no. A tree that loops is not a PDF.
    """
    if not content.startswith(PDF_MAGIC):
        return None
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(content), strict=False)
        root = reader.root_object["/Pages"]
        stack: list[Any] = [root]
        seen: set[tuple[int, int]] = set()
        pages = 0
        while stack:
            item = stack.pop()
            reference = getattr(item, "indirect_reference", None) or (
                item if hasattr(item, "idnum") else None
            )
            node = item.get_object()
            if "/Kids" in node:
                key = (reference.idnum, reference.generation) if reference is not None else None
                if key is not None:
                    if key in seen:
                        return None
                    seen.add(key)
                if len(seen) > 10 * (cap + 1):  # a tree of nodes with (almost) no page in them
                    return cap + 1
                stack.extend(reversed(list(node["/Kids"])))
            else:
                pages += 1
                if pages > cap:
                    return pages
        return pages or None
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError, OSError):
        return None


def looks_like_pdf(content: bytes, max_pages: int = 10_000) -> bool:
    """A PDF by its content: it starts with %PDF- and parses as one with at least one page. In the caller's
    own thread: on the event loop, ``check_pdf`` instead."""
    pages = count_pdf_pages(content, max_pages)
    return pages is not None and pages <= max_pages


def _check_main() -> None:
    """The child process of ``check_pdf``: the PDF on standard input, the page cap as the argument; prints
    the pages counted (up to cap + 1), or "none"."""
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (PDF_CHECK_MEMORY_BYTES, PDF_CHECK_MEMORY_BYTES))
    os.nice(5)  # the site's own processes come first for the CPU
    cap = int(sys.argv[1])
    pages = count_pdf_pages(sys.stdin.buffer.read(), cap)
    sys.stdout.write("none" if pages is None else str(pages))


_CHILD = (
    f"import sys; sys.path.insert(0, {_PACKAGE_PARENT!r}); "
    "from community.uploads import _check_main; _check_main()"
)
_GATES: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = weakref.WeakKeyDictionary()


def _gate() -> asyncio.Semaphore:
    loop = asyncio.get_running_loop()
    gate = _GATES.get(loop)
    if gate is None:
        gate = _GATES[loop] = asyncio.Semaphore(PDF_CHECKS_AT_ONCE)
    return gate


async def check_pdf(content: bytes, *, max_pages: int, seconds: float) -> PdfCheck:
    """Read the PDF ``content`` in a child process, off the event loop: a PDF with 1 to ``max_pages`` pages,
    or why not. The whole check, waiting for a free reader included, takes at most ``seconds``;
    past it the reader is killed and the answer is TIMED_OUT."""
    if not content.startswith(PDF_MAGIC):
        return PdfCheck.NOT_PDF
    deadline = asyncio.get_running_loop().time() + seconds
    gate = _gate()
    try:
        async with asyncio.timeout_at(deadline):
            await gate.acquire()
    except TimeoutError:
        return PdfCheck.TIMED_OUT
    try:
        try:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-I",
                "-c",
                _CHILD,
                str(max_pages),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.DEVNULL,
            )
        except OSError:  # no process to be had right now (too many already): not read, try again later
            return PdfCheck.TIMED_OUT
        try:
            async with asyncio.timeout_at(deadline):
                out, _err = await process.communicate(content)
        except TimeoutError:
            return PdfCheck.TIMED_OUT
        finally:
            if process.returncode is None:  # out of time, or the request went away: the reader stops now
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                await process.wait()
    finally:
        gate.release()
    answer = out.decode("ascii", "replace").strip()
    if process.returncode != 0 or not answer.isdigit():
        return PdfCheck.NOT_PDF  # it did not parse, or the reader ran out of memory on it
    pages = int(answer)
    if pages < 1:
        return PdfCheck.NOT_PDF
    return PdfCheck.TOO_MANY_PAGES if pages > max_pages else PdfCheck.OK


def save_private(directory: Path, content: bytes, extension: str) -> str:
    """Write ``content`` under a new random name in ``directory`` (made 0700 if missing); the name."""
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    name = f"{secrets.token_hex(16)}.{extension}"
    # O_EXCL: a name is never reused, whatever another process writes at the same moment.
    fd = os.open(directory / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(content)
    return name


async def store_private(directory: Path, content: bytes, extension: str) -> str:
    """``save_private`` in a worker thread: writing megabytes does not hold up the event loop."""
    return await asyncio.to_thread(save_private, directory, content, extension)


def private_path(directory: Path, name: str) -> Path | None:
    """The stored file called ``name``, or None when there is none (or the name is not one we give)."""
    if not _STORED_NAME.match(name or ""):
        return None
    path = directory / name
    return path if path.is_file() else None


def remove_private(directory: Path, name: str) -> None:
    path = private_path(directory, name)
    if path is not None:
        path.unlink(missing_ok=True)


async def discard_private(directory: Path, names: list[str]) -> None:
    """``remove_private`` for each of ``names``, in a worker thread."""

    def remove_all() -> None:
        for name in names:
            remove_private(directory, name)

    await asyncio.to_thread(remove_all)
