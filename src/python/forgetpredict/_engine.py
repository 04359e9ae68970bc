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
from typing import Callable, Dict, List, Optional, Sequence, Tuple

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


class InputError(EngineError, ValueError):
    """An argument was refused before the engine or the service saw it; ``message`` names the argument and the fix.

    A :class:`ValueError` too, so ``except ValueError`` catches it as it catches any bad argument."""

    def __init__(self, message: str) -> None:
        super().__init__(message, None)


def find_engine() -> List[str]:
    """The command that starts the engine.

    In order: the ``FORGETPREDICT`` environment variable (a command line, e.g. ``forgetpredict`` or
    ``dotnet /path/forgetpredict.dll``), ``forgetpredict`` on ``PATH`` (``make install PREFIX=DIR`` puts it in
    ``DIR/bin``), and the Release build of a ForgetPredict checkout above the working directory.
    """
    configured = os.environ.get("FORGETPREDICT")
    if configured:
        return _configured_command(configured)
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


def _configured_command(configured: str) -> List[str]:
    """``FORGETPREDICT`` as a command, checked before it runs: its program must exist, and so must a ``.dll`` it names (the
    .NET host would only say "the specified command or file was not found", naming neither)."""
    try:
        command = shlex.split(configured)
    except ValueError as e:
        raise EngineNotFound(f"FORGETPREDICT={configured!r} is not a command line ({e}); set it to the engine's command, "
                             "e.g. 'dotnet /path/forgetpredict.dll' or '/path/bin/forgetpredict'.") from None
    if not command:
        raise EngineNotFound("FORGETPREDICT is set but empty; set it to the engine's command, e.g. 'dotnet /path/forgetpredict.dll', or unset it.")
    if shutil.which(command[0]) is None:
        raise EngineNotFound(f"FORGETPREDICT={configured!r}: {command[0]} is not an executable file or a command on PATH; set FORGETPREDICT "
                             "to the engine's command, e.g. 'dotnet /path/forgetpredict.dll' or '/path/bin/forgetpredict' (make install).")
    for part in command[1:]:
        if part.lower().endswith(".dll") and not os.path.isfile(part):
            raise EngineNotFound(f"FORGETPREDICT={configured!r}: {part} does not exist; build it (make setup in the ForgetPredict checkout) "
                                 "or set FORGETPREDICT to the path of forgetpredict.dll.")
    return command


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


def run(args: Sequence[object], progress: bool = True, on_progress: Optional[Callable[[dict], None]] = None,
        words: Optional[Callable[[str], str]] = None) -> str:
    """Runs the engine with ``args``; returns its standard output, raises :class:`EngineError` on failure.

    The engine is asked (``FORGETPREDICT_PROGRESS=json``) to write progress as JSON lines on standard error; they are
    shown as one line updated in place (``progress=True``) and passed to ``on_progress``. Its messages name the Python
    arguments instead of the command line's options (:func:`python_words`), then pass through ``words`` (a call's own
    translation: e.g. evaluate's files of ``external`` named by their argument). It runs without .NET's diagnostics IPC
    (``DOTNET_EnableDiagnostics=0``, unless set), so no debugger pipe or diagnostic socket is left in the temporary
    folder, and an interrupted call (Ctrl+C in Jupyter) stops it with SIGTERM, which lets it delete its partial outputs,
    then SIGKILL after :data:`STOP_GRACE` seconds.
    """
    command = find_engine() + [str(a) for a in args]
    environment = {**os.environ, "FORGETPREDICT_PROGRESS": "json"}
    environment.setdefault("DOTNET_EnableDiagnostics", "0")
    try:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                                   text=True, encoding="utf-8", errors="replace", env=environment)
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
            _stop(process)
            raise
        finally:
            if line is not None:
                line.close()
    errors = [engine_words(e) if words is None else words(engine_words(e)) for e in errors]
    if code != 0:
        messages = [e[len("error: "):] for e in errors if e.startswith("error: ")]
        message = messages[0] if messages else next((e for e in errors if e.strip()), f"forgetpredict exited with code {code}")
        message = _named_choice(message, command)
        if message.startswith(_HOST_NOT_FOUND):  # the .NET host: the .dll (or a command of dotnet's) is not there
            raise EngineNotFound(f"{' '.join(command[:2])}: {message} Set FORGETPREDICT to the engine's command line "
                                 "(e.g. 'dotnet /path/forgetpredict.dll').", code, "\n".join(errors))
        raise EngineError(message, code, "\n".join(errors))
    for warning in (e for e in errors if e.startswith("warning: ")):
        warnings.warn(warning[len("warning: "):], EngineWarning, stacklevel=3)
    return "".join(out)


_HOST_NOT_FOUND = "Could not execute because the specified command or file was not found."

# Seconds an interrupted engine has to exit after SIGTERM before it is killed.
STOP_GRACE = 3.0


def _stop(process: subprocess.Popen) -> None:
    """Stops the engine gracefully: SIGTERM (it deletes its partial outputs and exits), SIGKILL after STOP_GRACE seconds."""
    try:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(STOP_GRACE)
            except subprocess.TimeoutExpired:
                pass
    finally:
        if process.poll() is None:  # still running: the grace ran out, or a second interrupt cut the wait short
            process.kill()
            process.wait()


# The command line's options as the Python calls name them, for the engine's messages (one table for the package).
# A value is the argument's name, or "name=True" for an option that takes no value. Options with no Python equivalent
# (--model, --out, --json, the *-columns options) are kept.
_OPTIONS: Dict[str, str] = {
    "--method": "method", "--methods": "methods", "--rank": "rank", "--lambda": "lam", "--seed": "seed", "--seeds": "seeds",
    "--threads": "threads", "--examples": "examples", "--tasks": "tasks", "--observed": "observed", "--exclude": "exclude",
    "--group-by": "group_by", "--top": "top", "--threshold": "threshold", "--prior": "prior", "--task-name": "task_name",
    "--task-features": "task_features", "--example-features": "example_features", "--budget": "budget", "--ratio": "ratio",
    "--task-size": "task_size", "--strategy": "strategy", "--temperature": "temperature", "--min-per-group": "min_per_group",
    "--count": "count", "--criterion": "criterion", "--max-rank": "max_rank", "--test-fraction": "test_fraction",
    "--test-rows": "test_rows", "--test-tasks": "test_tasks", "--test-family": "test_family", "--train-family": "train_family",
    "--family-column": "family_column", "--split-seed": "split_seed", "--reveal": "reveal", "--reveal-rng": "reveal_rng",
    "--active-criterion": "active_criterion", "--top-fraction": "top_fraction", "--external": "external",
    "--known": "known", "--by-index": "by_index=True", "--allow-partial": "allow_partial=True",
    "--binary": "binary=True", "--predictions": "predictions=True",
}
_OPTION = re.compile(r"--([a-z][a-z0-9-]*)( [A-Z][A-Z_]*\b)?")
# The service's JSON fields, as the client's arguments name them (its problem details name the fields).
_FIELDS: Dict[str, str] = {
    "groupBy": "group_by", "byIndex": "by_index", "taskFeatures": "task_features", "newExamples": "new_examples",
    "minPerGroup": "min_per_group", "taskSize": "task_size", "top": "top", "count": "count", "observed": "observed",
    "exclude": "exclude", "budget": "budget", "ratio": "ratio", "strategy": "strategy", "temperature": "temperature",
    "seed": "seed", "prior": "prior", "criterion": "criterion", "threshold": "threshold", "known": "known", "rank": "rank",
    "lambda": "lam",
}
_FIELD = re.compile(r'set "byIndex": true|"(' + "|".join(_FIELDS) + r')"|\b(' + "|".join(k for k in _FIELDS if k != k.lower()) + r")\b")


# The file a matrix is written to records the kind of its example ids (``z.int64-ids.npz``; _io.matrix_file_name); a
# message names it as the argument's file, ``z.npz``.
ID_KINDS_TAGGED = "int64|uint64|int|float|mixed"
ID_KIND_TAG = re.compile(r"\.(" + ID_KINDS_TAGGED + r")-ids\.npz\b")


# Phrases of the command line that name a command with an option, or say how to set an option: as Python calls.
_COMMAND_OPTION = re.compile(r"'(fit|predict|replay|design|evaluate|analyze) --([a-z][a-z0-9-]*)'")
_SETS_ANOTHER = re.compile(r"--([a-z][a-z0-9-]*) sets another")
# How to name a table's id column (--exclude-columns ID ...): a Python call has no such option; the package writes its
# tables with an 'id' column (nothing to say), and the engine reads 'id' first in a file given by path.
_ID_COLUMN_HINT = re.compile(r" ?The ids were taken from column '([^']*)'; name the column that holds them with --[a-z-]+-columns ID\.")


def python_words(text: str) -> str:
    """``text`` with the command line's options named as the Python call's arguments: "--top must be at least 1" ->
    "top must be at least 1", "pass --allow-partial" -> "pass allow_partial=True", "--group-by COL" -> "group_by=...",
    "refit it with 'fit --task-features'" -> "refit it with fp.fit(..., task_features=...)", "(forgetpredict design MATRIX)" ->
    "(fp.design(z, ...))"; the package's matrix files by the argument they hold (``z.npz``)."""
    text = ID_KIND_TAG.sub(".npz", text).replace("(forgetpredict design MATRIX)", "(fp.design(z, ...))")
    text = _COMMAND_OPTION.sub(lambda m: f"{'fp.' if m.group(1) in ('fit', 'evaluate', 'analyze') else ''}{m.group(1)}(..., "
                               f"{_OPTIONS.get('--' + m.group(2), m.group(2)).replace('=True', '')}=...)", text)
    text = _SETS_ANOTHER.sub(lambda m: f"pass {_OPTIONS.get('--' + m.group(1), m.group(1))}=... to set another", text)
    text = _ID_COLUMN_HINT.sub(lambda m: "" if m.group(1) == "id" else f" The ids were taken from column '{m.group(1)}'; "
                               "name the column that holds them 'id'.", text)

    def python(match: "re.Match[str]") -> str:
        name = _OPTIONS.get("--" + match.group(1))
        if name is None:
            return match.group(0)
        if match.group(2):
            return name if name.endswith("=True") else name + "=..."
        return name

    return _OPTION.sub(python, text)


def service_words(text: str) -> str:
    """A problem detail of the service with its JSON fields named as the client's arguments: 'set "byIndex": true' ->
    "pass by_index=True", '"groupBy"' -> "group_by", "taskFeatures: ..." -> "task_features: ...", "overwrite=true" ->
    "overwrite=True"; the package's matrix files by the argument they hold (``z.npz``)."""
    def python(match: "re.Match[str]") -> str:
        field = match.group(1) or match.group(2)
        return "pass by_index=True" if field is None else _FIELDS[field]

    # The upload's form field (overwrite=true) is the client's argument, overwrite=True.
    return _FIELD.sub(python, ID_KIND_TAG.sub(".npz", text)).replace("overwrite=true", "overwrite=True")


_UNRECOGNIZED = re.compile(r"Argument '(.*)' not recognized\. Must be one of: (.*)$")


def _named_choice(message: str, args: Sequence[str]) -> str:
    """The parser's "Argument 'x' not recognized. Must be one of: 'a' 'b'" naming the argument that was given 'x'."""
    match = _UNRECOGNIZED.match(message)
    if match is None:
        return message
    value, choices = match.group(1), ", ".join(re.findall(r"'[^']*'", match.group(2)))
    option = next((args[k - 1] for k in range(1, len(args)) if args[k] == value and args[k - 1].startswith("--")), None)
    name = python_words(option) if option else "an argument"
    return f"{name}={value!r} is not one of {choices}."


def engine_words(text: str) -> str:
    """A line the engine wrote, as the Python caller reads it: options named as arguments, the files the package wrote in
    its temporary folders by the argument they hold (:data:`SCRATCH_FILES`), its other files there by their own names."""
    return python_words(_without_scratch(text))


# The files the package writes for the engine in its temporary folders (a call's, a fitted model's), by the argument each
# holds: (the argument as a message names it, what a line of the file after its header is, what its rows are). A message
# names the argument, not a file the caller never saw and that is gone by the time it is read: "observed.csv:2: ..." ->
# "observed: entry 1: ..." (as the service names its field), "exclude.csv: none of its 1 rows ..." -> "exclude: none of
# its 1 ids ...", "model.fpm was fitted without ..." -> "the model was fitted without ...", "z.npz: ..." -> "z: ...". A
# list's entries count from 1, as the service counts them; a DataFrame's rows by position (iloc), from 0. Only paths in the
# package's folders are renamed: a file the caller passed by path keeps its name. Other files there (the features'
# task_features[0].csv, named after their argument; external-0.npz, which evaluate names itself) keep their names.
SCRATCH_FILES: Dict[str, Tuple[str, Optional[str], Optional[str]]] = {
    "z.npz": ("z", None, None), "model.fpm": ("the model", None, None),
    "observed.csv": ("observed", "entry", "cells"), "exclude.csv": ("exclude", "entry", "ids"),
    "examples.csv": ("examples", "row", None), "tasks.csv": ("tasks", "row", None),
}


def _scratch_folder() -> str:
    """A pattern of the package's temporary folders (the folder is the one tempfile uses now), with the separator after it."""
    return re.escape(os.path.join(tempfile.gettempdir(), "forgetpredict-")) + r"[^" + re.escape(os.sep) + r"\s]*" + re.escape(os.sep)


def _without_scratch(text: str) -> str:
    scratch = _scratch_folder()
    files = "|".join(re.escape(name) for name in SCRATCH_FILES)
    # A matrix's file records the kind of its example ids (z.int64-ids.npz; _io.matrix_file_name): it is z's all the same.
    named = re.compile(scratch + r"(" + files + r"|z\.(?:" + ID_KINDS_TAGGED + r")-ids\.npz)(?::([0-9]+):)?(?![\w.\[])")

    def argument(match: "re.Match[str]") -> str:
        name, unit, _ = SCRATCH_FILES[ID_KIND_TAG.sub(".npz", match.group(1))]
        if match.group(2) is None:
            return name
        line = int(match.group(2))
        where = f"entry {line - 1}" if unit == "entry" else f"row at position {line - 2}" if unit == "row" else f"line {line}"
        return f"{name}: {where}:"

    text = named.sub(argument, text)
    for name, _, rows in SCRATCH_FILES.values():
        if rows is not None:  # the engine counts a file's rows; the argument holds ids or cells
            text = re.sub(rf"(\b{name}: (?:none|[0-9]+) of its [0-9]+) rows\b", rf"\1 {rows}", text)
    return re.sub(scratch, "", text)


# A command that fits z (fit, design, analyze, evaluate) names the matrix by its file's name alone, as fit records it as the
# model's source ("z.int64-ids.npz: the matrix has 0 tasks and 3 examples"): the package's name of z's file, when no folder
# comes before it (a path is a file the caller gave).
_MATRIX_NAME = re.compile(r"(?<![\w./\\-])z(?:\.(?:" + ID_KINDS_TAGGED + r")-ids)?\.npz\b")


def matrix_words(text: str) -> str:
    """``text`` of a call that handed the engine ``z`` in a file of the package's (fit, design, analyze, evaluate) with the
    file named as the argument: "z.npz: the matrix has 0 tasks ..." -> "z: the matrix has 0 tasks ..."."""
    return _MATRIX_NAME.sub("z", text)


class EngineWarning(UserWarning):
    """Something the engine wants the caller to know (e.g. examples without metadata)."""


def _progress_event(text: str) -> Optional[dict]:
    if not text.startswith('{"progress"'):
        return None
    try:
        return json.loads(text)["progress"]
    except (ValueError, KeyError, TypeError):
        return None
