"""fit, Model, Prediction, evaluate, analyze and design over the engine's command line."""
from __future__ import annotations

import html as _html
import json
import os
import re
import shutil
import socket
import tempfile
import weakref
from pathlib import Path
from typing import Callable, Dict, Iterable, List, Optional, Sequence

import numpy as np
import pandas as pd

from . import _engine, _io

_OWNER = ".forgetpredict-owner"


def _temporary_folder(prefix: str, sweep: bool = False) -> Path:
    """A new private temporary folder that records the process owning it; with ``sweep``, after removing the package's
    folders whose owner has died: a process stopped by SIGTERM or SIGKILL runs no cleanup (neither atexit nor finalizers),
    so its folders are removed when the next process makes a model's (listing the temporary folder costs ~20 ms when it
    holds tens of thousands of entries, so not on every engine call)."""
    if sweep:
        _remove_orphans()
    path = Path(tempfile.mkdtemp(prefix=prefix))
    (path / _OWNER).write_text(f"{os.getpid()} {socket.gethostname()}")
    return path


def _remove_orphans() -> None:
    """Removes the package's temporary folders whose recorded owner process, on this host, no longer exists (another
    host's or container's, sharing the folder with other process ids, another user's, or an unreadable one, are left alone)."""
    try:
        candidates = list(Path(tempfile.gettempdir()).glob("forgetpredict-*"))
        host = socket.gethostname()
    except OSError:
        return
    for folder in candidates:
        try:
            pid, owner_host = (folder / _OWNER).read_text().split(" ", 1)
            owner = int(pid)
            if owner == os.getpid() or owner_host != host:
                continue
            os.kill(owner, 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except (OSError, ValueError):
            continue  # no owner file (a folder being made, or not ours), another user's process, or unreadable


class _Scratch:
    """A private temporary folder, removed when its owner is closed or collected (and at interpreter exit)."""

    def __init__(self, prefix: str) -> None:
        self.path = _temporary_folder(prefix, sweep=True)
        self._finalizer = weakref.finalize(self, shutil.rmtree, str(self.path), True)

    def close(self) -> None:
        self._finalizer()


class _Call:
    """One engine call's temporary files, removed when the call ends, whether it succeeded or not."""

    def __enter__(self) -> Path:
        self._dir = str(_temporary_folder("forgetpredict-"))
        return Path(self._dir)

    def __exit__(self, *exc) -> None:
        shutil.rmtree(self._dir, ignore_errors=True)


def fit(z: _io.MatrixLike, method: Optional[str] = None, *, rank: Optional[int] = None, lam: Optional[float] = None,
        seed: Optional[int] = None, tasks: Optional[Sequence] = None, examples=None, threads: Optional[int] = None,
        task_features=None, example_features=None, known: Optional[int] = None, progress: bool = True) -> "Model":
    """Fits a forgetting model to ``z`` (tasks x examples; NaN = missing).

    ``z`` is a numpy array or a DataFrame (index: task ids, columns: example ids). ``tasks`` and ``examples`` name the
    rows and columns of an array (or override a DataFrame's); ``examples`` may instead be a DataFrame of example metadata
    (index or ``id`` column: example ids; other columns such as ``source``), kept with the model for ``group_by``.
    ``task_features`` (the training tasks' settings and data, known before fine-tuning) lets the model predict a new task
    from its features (``predict(task_features=...)``): a DataFrame (index or an id column: task ids; numeric and
    categorical columns), a numpy array (an embedding, one row per task in matrix order), a file path, or a list of them.
    ``example_features`` (the same forms keyed by example id: e.g. source and base loss, an embedding with one row per
    example in matrix order) lets the model predict upstream examples it has never measured
    (``predict(example_features=...)``).
    ``method`` names the model family (``"mf"``, ``"knn"``, ``"ensemble"``...); by default the engine's: ``"auto"``, which
    chooses the method and its settings by cross-validation on ``z``, for the ``known`` cells you will measure per new task
    (``"auto"`` and ``"ensemble"`` only; default: the engine's).
    ``rank``: the latent rank (mf, logistic). ``lam``: the main penalty (additive and knn: the bias penalty in cells; rank1
    and mf: a multiple of the noise-adaptive threshold; logistic: the L2 precision). ``seed``: rank1, mf and logistic's
    initialisation, or auto and ensemble's cross-validation draws (the other methods draw no random numbers). ``threads``:
    worker threads (-1: all cores; the results are the same for every number). Each left out (None) takes the engine's
    default.
    """
    metadata, ids = _io.example_metadata(z, examples)
    kind = _io.example_id_kind(z, ids)
    scratch = _Scratch("forgetpredict-model-")
    try:
        with _Call() as call:
            # The file's name records the ids' kind in the model (its source), so fp.load gives them back alike.
            matrix = _io.write_matrix(call / _io.matrix_file_name(kind), z, tasks, ids)
            args: List[object] = ["fit", matrix, "--out", scratch.path / "model.fpm"]
            args += _flag("--method", method) + _flag("--rank", rank) + _flag("--lambda", lam) + _flag("--seed", seed) + _flag("--threads", threads)
            args += _flag("--known", known) + _io.feature_args(call, task_features, "task") + _io.feature_args(call, example_features, "example")
            summary = _engine.run(args, progress, words=_engine.matrix_words).strip().replace(f"; saved {scratch.path / 'model.fpm'}", "")
        if metadata is not None:
            _io.write_metadata(scratch.path / "examples.csv", metadata)
    except BaseException:
        scratch.close()
        raise
    return Model(scratch.path / "model.fpm", _scratch=scratch, summary=summary,
                 examples=scratch.path / "examples.csv" if metadata is not None else None, id_kind=kind, temporary=True)


def load(path, examples=None) -> "Model":
    """A saved model file (from ``Model.save`` or ``forgetpredict fit``), with optional example metadata (DataFrame or file).

    Example ids come back of the kind they had when the package fitted the model (``fp.fit``, ``Client.fit``: the model
    file records it). A model fitted otherwise (the command line, the service's web page) records none: its ids come back
    as text, or as integers when ``examples`` is a DataFrame whose ids are integers."""
    if not Path(path).is_file():
        raise _engine.InputError(f"path={str(path)!r} is not a model file{' (it is a folder)' if Path(path).is_dir() else ' (no such file)'}; "
                                 "give the .fpm file that Model.save or 'forgetpredict fit --out' wrote.")
    with open(path, "rb") as f:
        start = f.read(8)
    if start != b"FPMODEL\0":
        raise _engine.InputError(f"path={str(path)!r} is not a model file (it does not start as one: {start!r}); give the .fpm file "
                                 "that Model.save or 'forgetpredict fit --out' wrote (a matrix is fitted with fp.fit).")
    kind = _io.kind_of_source(_io.model_metadata(path).get("source"))
    scratch = _Scratch("forgetpredict-model-")
    meta = None
    try:
        if isinstance(examples, pd.DataFrame):
            meta = _io.write_metadata(scratch.path / "examples.csv", examples)
            if kind is None:
                kind = _io.id_kind(_io.metadata_ids(examples, "examples"), "examples")
        elif examples is not None:
            meta = Path(examples)
    except BaseException:
        scratch.close()
        raise
    return Model(Path(path), _scratch=scratch, summary=f"model {path}", examples=meta, id_kind=kind or "text")


class Model:
    """A fitted model: ``predict`` what a new fine-tune will erase, choose a ``replay`` set, ``save`` it."""

    def __init__(self, path: Path, *, _scratch: _Scratch, summary: str, examples: Optional[Path], id_kind: str = "text",
                 temporary: bool = False) -> None:
        self._path = Path(path)
        # A model fitted here lives in a temporary file until save() copies it (repr says which).
        self._temporary = temporary
        self._saved: Optional[Path] = None
        self._closed = False
        self.summary = summary
        self._examples = examples
        self._scratch = _scratch
        # The kind the example ids went in as (_io.ID_KINDS: text, an array's positions or integer labels as int64, ...):
        # results give them back as such.
        self._id_kind = id_kind

    def __repr__(self) -> str:
        state = "" if not self._temporary else f"; saved {self._saved}" if self._saved else "; unsaved (Model.save(path) keeps it)"
        first, _, rest = self.summary.partition("\n")
        return f"<forgetpredict.Model: {first}{state}{rest and chr(10) + rest}{' (closed)' if self._closed else ''}>"

    @property
    def path(self) -> Path:
        """The model file (a temporary one for a model fitted here: :meth:`save` keeps it)."""
        if self._closed:
            raise _engine.InputError("this model is closed (close(), or the end of its with block, removed its files); "
                                     "fit or load it again, and save it first to keep it.")
        return self._path

    def save(self, path) -> None:
        """Copies the model file to ``path`` (load it again with :func:`load`, or use it with the command line).

        The engine writes the copy (``forgetpredict convert MODEL PATH``): it checks the model's checksum, writes beside ``path``
        and renames over it, so an interrupted save or a full disk leaves ``path`` as it was (an older model there survives),
        never half a model, and a link at ``path`` keeps pointing at the model. A name with a data format's extension
        (``model.csv``, ``model.npy``, ``model.json``) is refused, as ``forgetpredict fit --out`` refuses it: a model file is
        the engine's own binary format, named ``.fpm``."""
        name = str(path)
        _engine.run(["convert", self.path, name], progress=False,
                    words=lambda text: text.replace(f"OUT {name}", f"path={name!r}"))
        self._saved = Path(path)

    def close(self) -> None:
        """Removes the model's temporary files now (they are removed anyway when the model is collected); the model cannot be
        used after it."""
        self._closed = True
        self._scratch.close()

    def __enter__(self) -> "Model":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def predict(self, observed=None, *, group_by: Optional[str] = None, top: Optional[int] = None, threshold: Optional[float] = None,
                prior: Optional[str] = None, task_name: Optional[str] = None, task_features=None, example_features=None,
                by_index: bool = False, progress: bool = True) -> "Prediction":
        """Folds in a new task from its measured cells (or its features, or both) and predicts every example.

        ``observed``: a Series of measured forgetting indexed by example id (or a dict); None for a task-agnostic estimate,
        or, with ``task_features``, a cold start from the features alone.
        Ids must equal the model's example ids; ``by_index=True`` reads them as column positions 0..N-1 instead.
        ``task_features``: the new task's features in the form the model was fitted with (a one-row DataFrame indexed by
        ``task_name``, a Series, a dict of feature values, a 1-D array for an embedding, a file, or a list of them); needs a
        model fitted with ``task_features``. ``group_by``: a column of the example metadata given to :func:`fit` (default:
        its only column; with several and no ``group_by``, no groups).
        ``threshold``: forgetting above it counts as forgotten (default: the engine's, the 90th percentile of the training
        tasks' forgetting; ``Prediction.threshold_rule`` says which); refused for a binary (logistic) model, whose
        predictions are probabilities and whose expected count is their sum. ``top``: how many of the most forgotten examples the
        report (``repr(p)``) lists (0: none; default: the engine's). ``prior``: the fold-in prior, ``"empirical"`` (the
        training tasks' distribution) or ``"ridge"`` (the fit's own penalty: what refitting with the new row gives); default:
        the engine's. ``task_name``: the new task's id, its row in ``task_features`` (when they list several tasks).
        ``example_features`` (a model fitted with ``example_features``): the features of the model's examples and of new
        ones, in the forms given to :func:`fit` (tables keyed by example id; an embedding lists the model's examples first,
        in its order, then the new ones). Every example they list that the model has never measured is predicted from its
        features and comes back in ``cold_examples``, with wider intervals.
        """
        if top is not None:  # None: the engine's default
            _io.check_count("top", top, "how many of the most forgotten examples to list (0: none)", least=0)
        _io.check_choice("prior", prior)
        with _Call() as call:
            args = ["predict", *self._forecast_args(call, observed, group_by, by_index, task_features, task_name), *_flag("--top", top),
                    "--out", call / "predicted.csv", "--json", call / "prediction.json", "--html", call / "report.html"]
            args += _flag("--threshold", threshold) + _flag("--prior", prior) + _io.feature_args(call, example_features, "example")
            # The engine's report, in the Python arguments' words, without the lines naming the call's files (deleted by now).
            text = "\n".join(_engine.engine_words(line) for line in _engine.run(args, progress).split("\n")
                              if not line.startswith(f"wrote {call}"))
            examples = _io.read_table(call / "predicted.csv").set_index("example")
            summary = json.loads((call / "prediction.json").read_text(encoding="utf-8"))
            summary["warnings"] = [_engine.engine_words(w) for w in summary.get("warnings") or []]  # as they were raised
            summary.pop("cold_examples", None)  # in Prediction.cold_examples, as from the service
            report = (call / "report.html").read_text(encoding="utf-8")
        cold = None
        if "cold" in examples.columns:
            flags = examples.pop("cold").astype(str).str.lower() == "true"
            # A grouped prediction gives the new examples their groups too (from the same metadata, by id).
            grouped = ["group"] if "group" in examples.columns else []
            cold = examples.loc[flags, ["predicted", "std", "probability", *grouped]].assign(cold=True)
            # Without the cold rows (no rank, no measured value), the model's columns take their own types back.
            examples = examples.loc[~flags].astype({"rank": np.int64, "measured": bool})
        # The model's examples keep the type their ids went in with; new examples keep their features' ids as text.
        examples.index = _io.typed_ids(examples.index, self._id_kind)
        return Prediction(examples, summary, report, text, cold_examples=cold, id_kind=self._id_kind)

    def replay(self, observed=None, *, budget: Optional[int] = None, ratio: Optional[int] = None,
               task_size: Optional[int] = None, strategy: Optional[str] = None, temperature: Optional[float] = None,
               min_per_group: Optional[int] = None, exclude: Optional[Iterable] = None, group_by: Optional[str] = None,
               seed: Optional[int] = None, prior: Optional[str] = None, task_name: Optional[str] = None,
               task_features=None, by_index: bool = False, progress: bool = True) -> pd.DataFrame:
        """Chooses upstream examples to replay during the fine-tune: a DataFrame (example, weight, predicted, group).

        ``observed``, ``group_by``, ``prior``: as in :meth:`predict`. How many to replay: ``budget`` (a number of examples), or
        ``ratio`` with ``task_size`` (one upstream example per ``ratio`` examples of a fine-tuning task of ``task_size``
        examples). ``strategy``: ``"softmax"`` (sampled without replacement with probability softmax(predicted /
        ``temperature``), ``temperature`` in the units of the predictions), ``"topk"``, ``"stratified"`` (every group keeps
        ``min_per_group`` examples) or ``"random"`` (the baseline). ``exclude``: example ids never to replay (e.g. a held-out
        evaluation set). ``seed``: the seed of the random strategies. Each left out (None) takes the engine's default.
        ``weight``: an example's probability of being drawn first (softmax: softmax(predicted / ``temperature``) over all
        candidates; random: 1 / candidates), 1 for topk and stratified. The set is drawn without replacement, so an example's
        chance of being in it is higher (random: budget / candidates): do not reweight by ``weight`` as an inclusion probability.
        ``by_index=True`` reads the examples of ``observed`` and ``exclude`` as column positions 0..N-1, not ids.
        ``task_features`` and ``task_name`` predict the task from its features, as in :meth:`predict`.
        """
        _io.check_choice("strategy", strategy)
        _io.check_choice("prior", prior)
        settings = _io.replay_settings(budget, ratio, task_size, temperature, min_per_group, seed)  # as the client sends them
        with _Call() as call:
            args = ["replay", *self._forecast_args(call, observed, group_by, by_index, task_features, task_name),
                    *_flag("--strategy", strategy), "--out", call / "replay.csv"]
            for name, value in settings.items():
                args += ["--" + name.replace("_", "-"), repr(value)]
            args += _flag("--prior", prior)
            if exclude is not None:
                args += _io.exclusion_args(call / "exclude.csv", exclude)
            _engine.run(args, progress)
            table = _io.read_table(call / "replay.csv")
            table["example"] = _io.typed_ids(table["example"], self._id_kind).to_numpy()
            return table

    def design(self, count: Optional[int] = None, *, criterion: Optional[str] = None, group_by: Optional[str] = None, observed=None,
               exclude: Optional[Iterable] = None, by_index: bool = False, progress: bool = True) -> pd.DataFrame:
        """Which examples a new task should measure, designed on this model (as :func:`design` on the past tasks' matrix).

        The design uses the model's factor model (an ``auto`` or ensemble model's factor member with the largest weight; a
        knn or logistic model is refused). Returns the same DataFrame as :func:`design`: ``count`` examples indexed by id,
        most informative first, with ``order`` (and ``group`` with ``group_by`` and the metadata given to :func:`fit`).
        ``count`` (the cells the new task will measure), ``criterion``, ``observed`` (cells measured already) and ``exclude``
        (examples that cannot be measured) as in :func:`design`; left out, the engine's defaults. ``by_index=True`` reads the
        examples of ``observed`` and ``exclude`` as column positions 0..N-1, not ids.
        """
        if count is not None:  # None: the engine's default
            _io.check_count("count", count, "how many examples to measure")
        _io.check_choice("criterion", criterion)
        with _Call() as call:
            args: List[object] = ["design", "--model", self.path, *_flag("--count", count), "--out", call / "cells.csv"]
            args += _flag("--criterion", criterion) + (["--by-index"] if by_index else [])
            args += self._group_args(group_by) + _cells_and_exclusions(call, observed, exclude)
            _engine.run(args, progress)
            return _design_table(call / "cells.csv", self._id_kind)

    def _group_args(self, group_by: Optional[str]) -> List[object]:
        """--examples (the metadata given to fit) and --group-by. The engine chooses as the service does: the column named,
        else the only one; with several and none named, no groups and a warning, or a refusal when the call needs groups (a
        stratified replay, a group-means design)."""
        if self._examples is None:
            if group_by is not None:
                raise _engine.InputError(f"group_by={group_by!r} needs example metadata: pass examples=DataFrame to fit (or load).")
            return []
        return ["--examples", self._examples] + _flag("--group-by", group_by)

    def _forecast_args(self, call: Path, observed, group_by: Optional[str], by_index: bool, task_features=None,
                       task_name: Optional[str] = None) -> List[object]:
        args: List[object] = ["--model", self.path] + (["--by-index"] if by_index else [])
        if task_features is not None:
            task_name = _io.single_task_name(task_features, task_name)
            args += _io.feature_args(call, task_features, "task", task_name)
        args += _flag("--task-name", task_name)
        if observed is not None:
            args += ["--observed", _io.write_cells(call / "observed.csv", observed)]
        return args + self._group_args(group_by)


def _top_lists(group: Dict, id_kind: str, cold_ids) -> Dict[str, list]:
    """A group's top examples, each id typed by the frame that holds it, and ``top_new``, parallel: True for a new example's
    id (text, as ``Prediction.cold_examples.index``), False for one of the model's (of the kind of ``Prediction.examples.index``).

    The engine and the service say which ids are new (``top_new``, ``topNew``); an answer without it (an older engine or
    service) is read by the rule it follows: a new example's id is one of ``cold_examples``, never one of the model's."""
    ids = [str(i) for i in group.get("top_examples") or []]
    new = group.get("top_new")
    if new is None or len(new) != len(ids):
        new = [i in cold_ids for i in ids]
    new = [bool(n) for n in new]
    # Only the model's ids take the model's kind: a new id beside them (text, say 'n7') must not turn them into text.
    model_ids = iter(_io.typed_list([i for i, n in zip(ids, new) if not n], id_kind))
    return {"top_examples": [i if n else next(model_ids) for i, n in zip(ids, new)], "top_new": new}


class Prediction:
    """What a fine-tune will erase: ``examples`` (every example), ``groups`` (each group's expected damage), ``html`` (the report).

    ``examples`` has ``predicted``, ``std``, ``probability`` (of forgetting beyond ``threshold``), ``rank``, ``group`` and,
    from the local engine, ``measured`` (True for the cells given in ``observed``) and ``measured_value``.
    ``cold_examples``: new examples predicted from their features (``example_features`` locally, the service's
    ``new_examples``), else empty; with groups, each with its ``group`` (its row of the example metadata, by id), and
    ``groups`` counts them in each group (``new_count`` of ``count``: their predictions enter the mean, share and top
    examples, their wider uncertainty the interval).

    A group's ``top_examples`` (most forgotten first) may mix the model's examples and new ones; ``top_new``, parallel,
    says which is which. An id whose ``top_new`` is False is in ``examples.index`` (of the kind the model's ids went in
    with: an ``int64`` for integer ids), one whose ``top_new`` is True in ``cold_examples.index`` (text, as new examples'
    ids always come back), so every id of a top list is found by::

        for example, new in zip(p.groups.top_examples.iloc[0], p.groups.top_new.iloc[0]):
            row = (p.cold_examples if new else p.examples).loc[example]

    Without new examples ``top_new`` is all False and ``p.examples.loc[p.groups.top_examples.iloc[0]]`` works as before.
    """

    def __init__(self, examples: pd.DataFrame, summary: Dict, html: str, text: str = "", cold_examples: Optional[pd.DataFrame] = None,
                 id_kind: str = "text") -> None:
        self.examples = examples
        self.cold_examples = cold_examples if cold_examples is not None else pd.DataFrame(columns=["predicted", "std", "probability", "cold"], index=pd.Index([], name="example"))
        self.summary = summary
        self.html = html
        self.text = text
        cold_ids = {str(i) for i in self.cold_examples.index}
        groups = [{**g, **_top_lists(g, id_kind, cold_ids)} for g in summary.get("groups") or []]
        self.groups = pd.DataFrame(groups, columns=["name", "count", "new_count", "mean", "lower", "upper", "share", "top_examples", "top_new"]).set_index("name")
        self.groups["new_count"] = self.groups["new_count"].fillna(0).astype(np.int64)
        self.threshold = summary.get("threshold")
        self.threshold_rule = summary.get("threshold_rule")
        self.expected_forgotten = summary.get("expected_forgotten")

    @property
    def measured(self) -> pd.Series:
        """The measured cells the prediction was given (``examples["measured"]``), by example id: their measured values."""
        if "measured" not in self.examples.columns:
            return pd.Series(dtype=np.float64, name="measured_value")
        return self.examples.loc[self.examples["measured"].astype(bool), "measured_value"]

    def __repr__(self) -> str:
        return self.text or f"<forgetpredict.Prediction: {len(self.examples)} examples, {len(self.groups)} groups>"

    def _repr_html_(self) -> str:
        return self.html


def evaluate(z: _io.MatrixLike, *, methods=None, tasks=None, examples: Optional[Sequence] = None,
             test_fraction: Optional[float] = None, test_rows: Optional[Sequence[int]] = None,
             test_tasks: Optional[Sequence] = None, test_family: Optional[str] = None, train_family: Optional[str] = None,
             family_column: Optional[str] = None, known=None, seeds: Optional[int] = None,
             seed: Optional[int] = None, split_seed: Optional[int] = None, reveal: Optional[str] = None,
             binary: bool = False, predictions: bool = False, task_features=None, example_features=None,
             reveal_rng: Optional[str] = None, active_criterion: Optional[str] = None, top_fraction: Optional[float] = None,
             external: Optional[Dict[str, object]] = None, allow_partial: bool = False, prior: Optional[str] = None,
             threads: Optional[int] = None, progress: bool = True, threshold: Optional[float] = None) -> pd.DataFrame:
    """Runs the published evaluation protocol on ``z``: one row per method (rmse, rmse_std, mae, spearman, ...).

    ``methods``: a list of method names, or a string (``"mf"``, or several comma-separated: ``"additive,mf"``).
    The test tasks (one split): ``test_fraction`` (a fraction of the tasks held out at random, drawn with ``split_seed``;
    the engine's split when no other is given), ``test_rows`` (row positions, e.g. ``[6, 65, 18]``), ``test_tasks`` (task
    ids) or ``test_family`` (with ``train_family``: the families of ``tasks``' ``family_column``, by default the engine's).
    ``seeds``: the reveal draws per test task; ``seed``: the base seed of those draws. Each left out (None) takes the
    engine's default.

    ``examples`` names the columns of an array (as in :func:`fit`); ``tasks`` names the rows, or is a DataFrame of task metadata (index or ``id``: task ids; a ``family`` column) for
    ``test_family``/``train_family`` splits. ``known`` is the number of cells revealed per test task, or a list of them
    (e.g. ``[0, 10, 30]``): the table is then indexed by (known, method), a curve of error against measured cells
    (``df["rmse"].unstack("known")``). ``task_features`` and ``example_features`` (as in :func:`fit`; example features are
    keyed by example id) add the methods that use them (``mf+features``, ``representation``). The whole result is in
    ``df.attrs["result"]``; with ``predictions=True`` every prediction is in ``df.attrs["predictions"]`` (a DataFrame).
    ``reveal_rng="numpy"`` draws the reference pipeline's cells and test tasks (numpy's ``default_rng``, as the command
    line's ``--reveal-rng numpy``); ``reveal="active"`` with ``active_criterion`` chooses them by a design;
    ``top_fraction`` sets K of precision@K. A 0/1 matrix (1 = forgotten) is scored as binary (F1, precision, recall,
    ROC-AUC); ``binary=True`` insists on it, refusing a matrix with other values. ``threshold`` is the classification
    threshold on the predictions there (not :func:`predict`'s forgetting threshold): a prediction above it counts as
    forgotten for F1, precision and recall; 0.5 (the default) for probabilities, when ``external`` values must lie in
    [0, 1]; 0 for logits (any finite value). It is refused on a matrix that is not binary, where it would change nothing. ``external`` scores other predictors on the same cells: a dict of name to their
    predictions for the test tasks (a DataFrame indexed by task id with example-id columns, or a file the engine reads,
    whose name may hold ``{draw}`` and ``{k}``). A predictor that uses the revealed cells gives one set per draw: a list
    (draw 0, 1, ...), a dict of draw to predictions, or a dict of ``(draw, k)`` to predictions for a curve; one set for
    several draws or k is scored on each of them, with a warning. ``allow_partial=True`` accepts predictions that miss
    some test cells (every method is then scored on the cells all externals cover). Their scores are in
    ``df.attrs["result"]["external"]`` (for a curve, in each point of ``df.attrs["result"]["curve"]``).
    ``prior="ridge"`` folds the test tasks in with the fit's own penalty (science.md's ridge fold-in) instead of the
    training tasks' empirical prior (the default). ``threads`` as in :func:`fit` (the scores are the same for any number).
    """
    metadata = tasks if isinstance(tasks, pd.DataFrame) else None
    ids = None if metadata is None else _io.metadata_ids(metadata, "tasks")
    methods = _methods(methods)
    ks, one_known = _io.whole_numbers(known, "known", "the cells revealed per test task, e.g. 30, or a list such as [0, 10, 30]") \
        if known is not None else (None, True)
    curve = not one_known
    rows = _io.whole_numbers(test_rows, "test_rows", "row positions of z, e.g. [0, 5, 12]")[0] if test_rows is not None else None
    test_ids = _io.task_id_list(test_tasks, "test_tasks") if test_tasks is not None else None
    _io.check_choice("reveal", reveal)
    _io.check_choice("reveal_rng", reveal_rng)
    _io.check_choice("active_criterion", active_criterion)
    _io.check_choice("prior", prior)
    task_ids = tasks if metadata is None else (None if isinstance(z, pd.DataFrame) else ids)
    # The kinds the predictions' ids come back as, checked before the engine runs (text beside floats is refused: _io.id_kind).
    kinds = (_io.example_id_kind(z, examples), _io.task_id_kind(z, task_ids)) if predictions else None
    with _Call() as call:
        matrix = _io.write_matrix(call / "z.npz", z, task_ids, examples)
        args: List[object] = ["evaluate", matrix, "--json", call / "evaluation.json"]
        if metadata is not None:
            args += ["--tasks", _io.write_metadata(call / "tasks.csv", metadata, "tasks")]
        args += _flag("--methods", ",".join(methods) if methods else None) + _flag("--test-fraction", test_fraction)
        args += _flag("--test-rows", ",".join(map(str, rows)) if rows is not None else None)
        args += _flag("--test-tasks", ",".join(test_ids) if test_ids is not None else None)
        args += _flag("--test-family", test_family) + _flag("--train-family", train_family) + _flag("--family-column", family_column)
        args += _flag("--known", ",".join(map(str, ks)) if ks is not None else None)
        args += _flag("--seeds", seeds) + _flag("--seed", seed) + _flag("--split-seed", split_seed)
        args += _flag("--reveal", reveal) + (["--binary"] if binary else [])
        args += _flag("--reveal-rng", reveal_rng) + _flag("--active-criterion", active_criterion) + _flag("--top-fraction", top_fraction)
        args += _flag("--threshold", threshold)
        if external is not None and not isinstance(external, dict):
            raise _engine.InputError(f"external must be a dict of name to predictions (e.g. {{'mine': frame}}); got a {type(external).__name__}.")
        runs = (seeds if seeds is not None else _DEFAULT_SEEDS, ks if ks is not None else [_DEFAULT_KNOWN])
        externals = [(_external_name(name), _external_file(call, n, name, given, runs)) for n, (name, given) in enumerate((external or {}).items())]
        for name, path in externals:
            args += ["--external", f"{name}={path}"]
        args += ["--allow-partial"] if allow_partial else []
        args += _flag("--prior", prior) + _flag("--threads", threads)
        args += _io.feature_args(call, task_features, "task") + _io.feature_args(call, example_features, "example")
        if predictions:
            args += ["--predictions", call / "predictions.csv"]
        words = _external_words(externals) if externals else str
        _engine.run(args, progress, words=lambda text: _engine.matrix_words(words(text)))
        result = json.loads((call / "evaluation.json").read_text(encoding="utf-8"))
        if curve:
            points = result.get("curve", [result])
            table = pd.concat([pd.DataFrame(p["methods"]).assign(known=p["known"]) for p in points]).set_index(["known", "name"])
        else:
            table = pd.DataFrame(result["methods"]).set_index("name")
        table = _score_types(table)
        table.attrs["result"] = result
        if predictions:
            frame = _io.read_table(call / "predictions.csv")
            frame["example"] = _io.typed_ids(frame["example"], kinds[0]).to_numpy()
            frame["task"] = _io.typed_ids(frame["task"], kinds[1]).to_numpy()
            table.attrs["predictions"] = frame
    return table


def _score_types(table: pd.DataFrame) -> pd.DataFrame:
    """evaluate's scores as floats (JSON writes 0 as an integer and a score that does not apply as null), missing ones NaN;
    counts (cells_per_seed) stay integers, text (fitted) text."""
    for column in table.columns:
        values = table[column]
        if column in ("cells_per_seed", "fitted") or pd.api.types.is_bool_dtype(values) or values.map(lambda v: isinstance(v, str)).any():
            continue
        table[column] = pd.to_numeric(values).astype(np.float64)
    return table


# The engine's defaults of evaluate's seeds and known (EvaluationOptions.DefaultSeeds, DefaultKnown), to check the sets of
# an external against the draws and k the run has before it runs.
_DEFAULT_SEEDS = 10
_DEFAULT_KNOWN = 30


def _external_file(call: Path, n: int, name: str, given, runs=None) -> str:
    """The file (or file name pattern with ``{draw}`` / ``{k}``) the engine reads external predictor ``name``'s predictions
    from: a matrix is written as one file; a list (one per draw) or a dict keyed by draw or by ``(draw, k)`` as one file per
    key, named so that the engine's placeholders find them; anything else is a file the engine reads."""
    label = f"external[{name!r}]"
    if isinstance(given, (pd.DataFrame, np.ndarray)):
        return str(_io.write_matrix(call / f"external-{n}.npz", given, name=label))
    if isinstance(given, (str, os.PathLike)):
        return str(given)
    if not isinstance(given, (list, tuple, dict)):
        raise _engine.InputError(f"{label} is {given!r}: give {_EXTERNAL_FORMS}.")
    if isinstance(given, (list, tuple)):
        given = dict(enumerate(given))
    bad = next((key for key, v in given.items() if not isinstance(v, (pd.DataFrame, np.ndarray))), None)
    if bad is not None:
        raise _engine.InputError(f"{label}[{bad!r}] is {_io.short_repr(given[bad])}: each set of predictions is a DataFrame (index: task ids, "
                                 "columns: example ids) or an array.")
    keys = list(given)
    by_k = bool(keys) and all(isinstance(key, tuple) and len(key) == 2 for key in keys)
    draws = [key[0] for key in keys] if by_k else keys
    counts = [key[1] for key in keys] if by_k else []
    if not keys or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= 0 for v in draws + counts):
        raise _engine.InputError(f"{label}: give one set of predictions per draw as a list, a dict of draw (0, 1, ...) to predictions, "
                         "or a dict of (draw, k) to predictions; got keys " + ", ".join(repr(key) for key in keys[:3]) + ".")
    if runs is not None:
        # A set for a draw (or k) the run does not have would be ignored in silence (the engine reads the draws it has).
        seeds_run, ks_run = runs
        extra = [key for key in keys if (key[0] if by_k else key) >= seeds_run or (by_k and key[1] not in ks_run)]
        if extra:
            draws_run = "draw 0" if seeds_run == 1 else f"draws 0..{seeds_run - 1}"
            has = f"{draws_run} at k {', '.join(map(str, ks_run))}" if by_k else draws_run
            what = "(draw, k)" if by_k else "draws"
            shown = ", ".join(str(key) for key in keys[:4]) + (", ..." if len(keys) > 4 else "")
            raise _engine.InputError(
                f"{label} gives {len(keys)} sets of predictions ({what} {shown}), but the run has {has} (seeds={seeds_run}"
                f"{', known=' + str(list(ks_run)) if by_k else ''}), so the set for {'(draw, k) ' if by_k else 'draw '}{extra[0]} would be ignored: give "
                f"seeds={max((key[0] if by_k else key) for key in keys) + 1}{' and known with every k' if by_k else ''} to score every set, "
                f"or give one set per draw the run has.")
    for key, frame in given.items():
        draw, k = key if by_k else (key, None)
        suffix = f"-draw{int(draw)}" + ("" if k is None else f"-k{int(k)}")
        _io.write_matrix(call / f"external-{n}{suffix}.npz", frame, name=f"{label}[{key!r}]")
    return str(call / (f"external-{n}-draw{{draw}}" + ("-k{k}" if by_k else "") + ".npz"))


_EXTERNAL_FORMS = ("the predictor's predictions for the test tasks as a DataFrame (index: task ids, columns: example ids) or an "
                   "array, a list of them (one per draw), a dict of draw or of (draw, k) to them, or a file path")


def _external_name(name) -> str:
    """A name of ``external`` as the engine's ``NAME=FILE`` carries it: not empty, without '=' (the end of the name there)."""
    text = str(name)
    if not text or "=" in text:
        raise _engine.InputError(f"external: the name {name!r} {'is empty' if not text else 'holds =, which cannot be passed to the engine'}; "
                                 f"name the predictor otherwise{' (e.g. ' + repr(text.replace('=', '-')) + ')' if text else ''}.")
    return text


_MISSING_SET = re.compile(r"external-(\d+)-draw(\d+)(?:-k(\d+))?\.npz: no such file\. external .*? reads one file per (draw and k|draw|k) "
                          r"\((.*)\), and this one is missing\.")
_SAME_SET = re.compile(r"external (.*?)=(.*?): the same predictions are scored on (.*?)\. That is right only for a predictor that "
                       r"ignores the revealed cells; one that uses them must be scored on the cells of the draw it was given, so write one "
                       r"file per (draw and k|draw|k) with .*$")


def _external_words(externals: List[tuple]) -> "Callable[[str], str]":
    """A translation of evaluate's messages about ``external`` (``externals``: (name, file) as passed): the files the package
    wrote named by the argument that held them (``external-0-draw1.npz`` -> ``external['mine'][1]``), and the command
    line's fixes (write one file per draw with {draw} in its name) as the Python forms."""
    names = [name for name, _ in externals]

    def forms(per: str) -> str:
        return "a list (draw 0, 1, ...) or a dict of draw to predictions" if per == "draw" else "a dict of (draw, k) to predictions"

    def missing(match: "re.Match[str]") -> str:
        n, draw, k, per, span = match.groups()
        what = f"draw {draw}" + ("" if k is None else f" and k {k}")
        span = span.replace("{draw} = ", "draws ").replace("{k} = ", "k ")
        return (f"external[{names[int(n)]!r}] has no predictions for {what}: it gives one set per {per} ({span}), so give "
                f"{forms(per)} with every one.")

    def same(match: "re.Match[str]") -> str:
        name, _, where, per = match.groups()
        return (f"external[{name!r}]: the same predictions are scored on {where}. That is right only for a predictor that ignores "
                f"the revealed cells; one that uses them must be scored on the cells of the draw it was given, so give one set per "
                f"{per}: {forms(per)}.")

    def words(text: str) -> str:
        text = _SAME_SET.sub(same, _MISSING_SET.sub(missing, text))
        for n, (name, path) in enumerate(externals):
            shown = _engine.engine_words(path)
            label = f"external[{name!r}]"
            text = text.replace(f"external {name}={shown}", label).replace(f"{name} ({shown})", label)
            text = re.sub(rf"external-{n}-draw(\d+)-k(\d+)\.npz", lambda m: f"{label}[({m.group(1)}, {m.group(2)})]", text)
            text = re.sub(rf"external-{n}-draw(\d+)\.npz", lambda m: f"{label}[{m.group(1)}]", text)
            text = text.replace(f"external-{n}.npz", label)
        return text

    return words


def design(z: _io.MatrixLike, count: Optional[int] = None, *, criterion: Optional[str] = None, tasks: Optional[Sequence] = None,
           examples=None, group_by: Optional[str] = None, observed=None, exclude: Optional[Iterable] = None,
           threads: Optional[int] = None, progress: bool = True) -> pd.DataFrame:
    """Which upstream examples a new task should measure after its fine-tune, so that ``predict`` pins down the rest of its row.

    ``z`` holds the past tasks (as for :func:`fit`). Returns ``count`` examples, most informative first: a DataFrame indexed
    by example id with column ``order`` (and ``group`` with ``examples`` metadata and ``group_by``). Measure each one's
    forgetting after the fine-tune and pass them as ``Model.predict(observed=...)`` (a Series indexed by example id).
    ``criterion``: ``"v-optimal"`` (the engine's default: the error on the rest of the row), ``"d-optimal"`` or
    ``"group-means"`` (the means of the ``group_by`` groups, or of the whole row). ``observed`` (as in ``predict``: a
    Series indexed by example id, or a dict) holds cells measured already: the next ones are chosen given them.
    ``exclude`` lists example ids that cannot be measured. ``tasks``, ``examples`` (ids, or the example metadata that
    ``group_by`` names a column of) and ``threads`` as in :func:`fit`. ``count`` and ``criterion`` left out: the engine's
    defaults.
    """
    metadata, ids = _io.example_metadata(z, examples)
    kind = _io.example_id_kind(z, ids)
    if count is not None:  # None: the engine's default
        _io.check_count("count", count, "how many examples to measure")
    _io.check_choice("criterion", criterion)
    with _Call() as call:
        matrix = _io.write_matrix(call / "z.npz", z, tasks, ids)
        args: List[object] = ["design", matrix, *_flag("--count", count), "--out", call / "cells.csv"]
        args += _flag("--criterion", criterion) + _flag("--threads", threads) + _flag("--group-by", group_by)
        if metadata is not None:
            args += ["--examples", _io.write_metadata(call / "examples.csv", metadata)]
        args += _cells_and_exclusions(call, observed, exclude)
        _engine.run(args, progress, words=_engine.matrix_words)
        return _design_table(call / "cells.csv", kind)


def _cells_and_exclusions(call: Path, observed, exclude: Optional[Iterable]) -> List[object]:
    """``design``'s --observed and --exclude files."""
    args: List[object] = []
    if observed is not None:
        args += ["--observed", _io.write_cells(call / "observed.csv", observed)]
    if exclude is not None:
        args += _io.exclusion_args(call / "exclude.csv", exclude)
    return args


def _design_table(path: Path, id_kind: str) -> pd.DataFrame:
    """The design template the engine wrote, as the DataFrame :func:`design` returns (indexed by example id): the examples to
    measure only (the template lists the cells measured already first, with their values; their orders come before)."""
    table = _io.read_table(path)
    table = table[table["value"].isna()].drop(columns="value").set_index("example")
    table.index = _io.typed_ids(table.index, id_kind)
    return table


def _methods(methods) -> Optional[List[str]]:
    """``methods`` as a list of names: a string is one method, or several comma-separated ("mf" or "additive,mf")."""
    if methods is None:
        return None
    if isinstance(methods, str):
        return [m.strip() for m in methods.split(",") if m.strip()]
    names = list(methods)
    if not all(isinstance(m, str) for m in names):
        raise _engine.InputError(f"methods={methods!r}: give method names, as a list (['mf', 'knn']) or a string ('mf' or 'mf,knn').")
    return names


def analyze(z: _io.MatrixLike, *, max_rank: Optional[int] = None, tasks: Optional[Sequence] = None,
            examples: Optional[Sequence] = None, progress: bool = True) -> pd.DataFrame:
    """How low-rank the forgetting is: R^2 of the task-only, example-only, additive and rank-1 models and of each SVD rank.

    ``z``, ``tasks`` and ``examples`` (the ids of an array's rows and columns) as in :func:`fit`. ``max_rank``: the highest
    rank of the truncated-SVD R^2 curve (default: the engine's). One row per model (``r2``); the whole result is in
    ``df.attrs["result"]``.
    """
    with _Call() as call:
        matrix = _io.write_matrix(call / "z.npz", z, tasks, examples)
        _engine.run(["analyze", matrix, "--json", call / "analysis.json"] + _flag("--max-rank", max_rank), progress,
                    words=_engine.matrix_words)
        result = json.loads((call / "analysis.json").read_text(encoding="utf-8"))
    r2 = result["r2"]
    rows = {name: r2[name] for name in ("task_only", "example_only", "additive", "rank1")}
    rows.update({f"svd{k}": value for k, value in enumerate(r2["svd"], start=1)})
    table = pd.DataFrame({"r2": pd.Series(rows, dtype=np.float64)})
    table.attrs["result"] = result
    return table


def _flag(name: str, value) -> List[object]:
    return [] if value is None else [name, value]


def groups_html(title: str, groups: pd.DataFrame, chart: Optional[str] = None) -> str:
    """A small HTML page for a prediction answered by the service: the group chart (if any) and the group table."""
    body = chart or ""
    return f"<div><h3>{_html.escape(title)}</h3>{body}{groups.to_html()}</div>"
