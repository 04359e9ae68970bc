"""Finding and running the forgetpredict engine (the command-line executable)."""
from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
import warnings
from pathlib import Path
from typing import Callable, List, Optional, Sequence

_DLL = Path("src/ForgetPredict.Cli/bin/Release/net10.0/forgetpredict.dll")


class EngineError(Exception):
    """The engine refused the request; ``message`` is its one-line explanation (what is wrong and how to fix it)."""

    def __init__(self, message: str, exit_code: Optional[int] = None, details: str = ""):
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code
        self.details = details


class EngineNotFound(EngineError):
    """No forgetpredict executable was found."""


def find_engine() -> List[str]:
    """The command that starts the engine.

    In order: the ``FORGETPREDICT`` environment variable (a command line, e.g. ``forgetpredict`` or
    ``dotnet /path/forgetpredict.dll``), ``forgetpredict`` on ``PATH`` (``make install PREFIX=DIR`` puts it in
    ``DIR/bin``), and the Release build of a ForgetPredict checkout above the working directory.
    """
    configured = os.environ.get("FORGETPREDICT")
    if configured:
        return shlex.split(configured)
    installed = shutil.which("forgetpredict")
    if installed:
        return [installed]
    dotnet = shutil.which("dotnet")
    for folder in [Path.cwd(), *Path.cwd().parents]:
        dll = folder / _DLL
        if dll.is_file() and dotnet:
            return [dotnet, str(dll)]
    raise EngineNotFound(
        "forgetpredict was not found: install it (make install PREFIX=DIR, then put DIR/bin on PATH), "
        "set FORGETPREDICT to its command line, or build the repository (make setup) and run from inside it.")


class _ProgressLine:
    """A text progress line updated in place: a display in Jupyter (made at the first update), a carriage return on a
    terminal, else silent."""

    def __init__(self) -> None:
        self._display = None
        self._handle = None
        self._last = ""
        try:
            from IPython import get_ipython  # type: ignore
            from IPython.display import display  # type: ignore

            shell = get_ipython()
            if shell is not None and shell.__class__.__name__ == "ZMQInteractiveShell":
                self._display = display
        except ImportError:
            pass
        self._tty = self._display is None and sys.stderr.isatty()

    def update(self, text: str) -> None:
        if text == self._last:
            return
        self._last = text
        if self._display is not None:
            if self._handle is None:
                self._handle = self._display(_PlainText(text), display_id=True)
            else:
                self._handle.update(_PlainText(text))
        elif self._tty:
            sys.stderr.write("\r" + text.ljust(60)[:120])
            sys.stderr.flush()

    def close(self) -> None:
        if self._tty and self._last:
            sys.stderr.write("\n")
            sys.stderr.flush()


class _PlainText:
    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


def describe_progress(event: dict) -> str:
    """One line for a progress event of the engine (``{"stage": ..., "fraction": ..., "detail": ...}``)."""
    parts = [str(event.get("stage", ""))]
    if event.get("detail"):
        parts.append(str(event["detail"]))
    fraction = event.get("fraction")
    if isinstance(fraction, (int, float)):
        parts.append(f"{100 * fraction:.0f}%")
    return "forgetpredict: " + " ".join(p for p in parts if p)


def run(args: Sequence[object], progress: bool = True, on_progress: Optional[Callable[[dict], None]] = None) -> str:
    """Runs the engine with ``args``; returns its standard output, raises :class:`EngineError` on failure.

    The engine is asked (``FORGETPREDICT_PROGRESS=json``) to write progress as JSON lines on standard error; they are
    shown as one line updated in place (``progress=True``) and passed to ``on_progress``.
    """
    command = find_engine() + [str(a) for a in args]
    try:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                                   text=True, encoding="utf-8", errors="replace", env={**os.environ, "FORGETPREDICT_PROGRESS": "json"})
    except OSError as e:
        raise EngineNotFound(f"could not start {command[0]}: {e.strerror}; set FORGETPREDICT to the engine's command line.") from e
    out: List[str] = []
    errors: List[str] = []
    line = _ProgressLine() if progress else None
    with process:
        reader = threading.Thread(target=lambda: out.append(process.stdout.read()), daemon=True)
        reader.start()
        try:
            for text in process.stderr:
                event = _progress_event(text)
                if event is None:
                    errors.append(text.rstrip("\n"))
                    continue
                if on_progress is not None:
                    on_progress(event)
                if line is not None:
                    line.update(describe_progress(event))
            code = process.wait()
            reader.join()
        except BaseException:
            process.kill()
            raise
        finally:
            if line is not None:
                line.close()
    errors = [_without_scratch(e) for e in errors]
    if code != 0:
        messages = [e[len("error: "):] for e in errors if e.startswith("error: ")]
        message = messages[0] if messages else next((e for e in errors if e.strip()), f"forgetpredict exited with code {code}")
        raise EngineError(message, code, "\n".join(errors))
    for warning in (e for e in errors if e.startswith("warning: ")):
        warnings.warn(warning[len("warning: "):], EngineWarning, stacklevel=3)
    return "".join(out)


# The package's temporary files (a call's folder, a model's): gone by the time a message is read, so messages name the
# file alone ("observed.csv:2: ..." for the cells given as ``observed``).
_SCRATCH = re.compile(re.escape(os.path.join(tempfile.gettempdir(), "forgetpredict-")) + r"[^" + re.escape(os.sep) + r"\s]*" + re.escape(os.sep))


def _without_scratch(text: str) -> str:
    return _SCRATCH.sub("", text)


class EngineWarning(UserWarning):
    """Something the engine wants the caller to know (e.g. examples without metadata)."""


def _progress_event(text: str) -> Optional[dict]:
    if not text.startswith('{"progress"'):
        return None
    try:
        return json.loads(text)["progress"]
    except (ValueError, KeyError, TypeError):
        return None
