"""Which reports one scan writes, and where: ``--format`` plus any number of ``-o`` values.

``-o FORMAT:PATH`` writes that format to PATH (``-`` is standard output); a plain ``-o PATH`` takes
``--format`` when given, else the format its name implies (``.html``, ``.sarif``, ``.xml`` for
JUnit, ``.md``, ``.json``, ``gl-code-quality-report.json`` for GitLab), else text. Without ``-o``
the ``--format`` (default text) goes to standard output; with typed ``-o`` values only, an explicit
``--format`` still goes to standard output (``--format github -o html:report.html`` in CI).
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator

from auditor.report import FORMATS, infer_format


class OutputError(Exception):
    """A bad ``-o`` value or an unwritable file; the CLI exits with code 2."""


@dataclass(frozen=True)
class Output:
    fmt: str
    path: Path | None  # None: standard output


def plan_outputs(fmt: str | None, outputs: tuple[str, ...] | list[str],
                 warn: Callable[[str], None] | None = None) -> list[Output]:
    plan: list[Output] = []
    plain_used = False
    for value in outputs:
        typed = _typed_output(value)
        if typed is None:
            typed = _plain_output(value, fmt, warn)
            plain_used = True
        plan.append(typed)
    if not plan or (fmt is not None and not plain_used):
        plan.insert(0, Output(fmt or "text", None))
    _check_targets(plan)
    return plan


def _typed_output(value: str) -> Output | None:
    """``-o FORMAT:PATH``; None when the value has no known format prefix."""
    prefix, sep, rest = value.partition(":")
    if not sep or prefix.lower() not in FORMATS:
        return None
    if not rest:
        raise OutputError(f"-o {value}: no file after '{prefix}:' (use {prefix}:- for standard output)")
    return Output(prefix.lower(), None if rest == "-" else Path(rest))


def _plain_output(value: str, fmt: str | None, warn: Callable[[str], None] | None) -> Output:
    """``-o PATH``: ``--format`` when given, else the format the name implies, else text."""
    if not value:
        raise OutputError("-o needs a file name")
    implied = infer_format(value)
    if fmt and implied and implied not in (fmt, "json", "text") and warn is not None:
        warn(f"writing {fmt} to {value} as --format says; for {implied} there, use -o {implied}:{value}")
    return Output(fmt or implied or "text", None if value == "-" else Path(value))


def _check_targets(plan: list[Output]) -> None:
    if sum(1 for o in plan if o.path is None) > 1:
        raise OutputError("only one report can go to standard output")
    paths = [o.path.resolve() for o in plan if o.path is not None]
    if len(paths) != len(set(paths)):
        raise OutputError("two reports would be written to the same file")


def use_color(choice: str, *, terminal: bool, environ: dict[str, str] | None = None) -> bool:
    """Whether the text report is coloured: ``always`` or ``never`` as asked; ``auto`` colours a
    terminal unless NO_COLOR is set (no-color.org), and colours anything when FORCE_COLOR is set
    to something other than 0 (force-color.org); NO_COLOR wins over FORCE_COLOR."""
    if choice != "auto":
        return choice == "always"
    env = os.environ if environ is None else environ
    if env.get("NO_COLOR"):
        return False
    if env.get("FORCE_COLOR", "") not in ("", "0", "false"):
        return True
    return terminal and env.get("TERM") != "dumb"


def render(result, output: Output, *, verbose: bool = False, quiet: bool = False,
           color: str = "auto") -> str | Iterator[str]:
    """The report's text, or for JSON its pieces (written as they come: ``json_report.stream_json``)."""
    if output.fmt == "json":
        from auditor.report.json_report import stream_json
        return _batched(stream_json(result))
    renderer = FORMATS[output.fmt]
    if output.fmt == "text":
        colored = use_color(color, terminal=output.path is None and sys.stdout.isatty()) \
            if output.path is None or color == "always" else False
        return renderer(result, color=colored, verbose=verbose, quiet=quiet)
    return renderer(result)


def _batched(pieces: Iterable[str], size: int = 1 << 20) -> Iterator[str]:
    """Pieces joined into runs of about ``size`` characters: few writes, little held at once."""
    run: list[str] = []
    held = 0
    for piece in pieces:
        run.append(piece)
        held += len(piece)
        if held >= size:
            yield "".join(run)
            run, held = [], 0
    if run:
        yield "".join(run)


def _file_mode(path: Path) -> int:
    """The mode the file keeps (when it exists) or a new file gets under the umask."""
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def write_atomically(path: Path, text: str | bytes | Iterable[str]) -> None:
    """Write ``text`` (UTF-8 with ``\\n`` line ends, or ``bytes`` exactly as given: a file that
    ``mlaudit fix`` rewrites; or pieces of text, each encoded as it comes) to ``path`` whole or not
    at all: into a temporary file beside it, then renamed over it, so an interrupted run never leaves
    half a file behind; an existing file keeps its mode. A path that exists and is not a regular
    file (``/dev/null``, a named pipe, ``/dev/stdout``) is written in place: renaming over it would
    replace the device itself."""
    if path.exists() and not path.is_file():
        with open(path, "wb") as stream:
            _write_to(stream, text)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.chmod(temporary, _file_mode(path))  # mkstemp makes it private; a report is as readable as any file
        with os.fdopen(handle, "wb") as stream:
            _write_to(stream, text)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _write_to(stream, text: str | bytes | Iterable[str]) -> None:
    if isinstance(text, bytes):
        stream.write(text)
    elif isinstance(text, str):
        stream.write(text.encode("utf-8"))
    else:
        for piece in text:
            stream.write(piece.encode("utf-8"))


def write(output: Output, text: str | Iterable[str]) -> None:
    """Write one rendered report to its file (UTF-8, no byte-order mark: GitLab refuses one)."""
    assert output.path is not None
    try:
        write_atomically(output.path, text)
    except OSError as exc:
        raise OutputError(f"cannot write {output.path}: {exc.strerror or exc}") from None
