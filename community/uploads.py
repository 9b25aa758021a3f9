"""Checking uploaded files (CVs, proofs) before they are kept: what they are, and whether a PDF is one.

Where they are kept is ``community.storage`` (shared by every process, on every machine).

Reading a PDF is CPU work that an uploader controls (a 9 MB file can hold 100,000 pages, and pypdf holds the
GIL), so ``check_pdf`` never parses on the event loop: a child process reads it, counting pages only up to a
cap, under a hard timeout (a thread could not be stopped) and a memory limit, and is killed when either runs
out. This module imports nothing heavy, so that child starts fast.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import io
import os
import sys
import weakref
from pathlib import Path
from typing import Any

PDF_MAGIC = b"%PDF-"
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
