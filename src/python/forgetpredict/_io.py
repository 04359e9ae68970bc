"""Data exchange with the engine through files: matrices as .npz with ids, tables as CSV (or Parquet with pyarrow)."""
from __future__ import annotations

import os
from pathlib import Path
from typing import List, Optional, Sequence, Tuple, Union

import numpy as np
import pandas as pd

MatrixLike = Union[np.ndarray, pd.DataFrame]
FeaturesLike = Union[pd.DataFrame, pd.Series, np.ndarray, str, os.PathLike]


def as_matrix(z: MatrixLike, tasks: Optional[Sequence] = None, examples: Optional[Sequence] = None
              ) -> Tuple[np.ndarray, Optional[np.ndarray], Optional[np.ndarray]]:
    """The values (float32 or float64, NaN = missing) and the task and example ids (strings, or None to number them)."""
    if isinstance(z, pd.DataFrame):
        values = z.to_numpy(dtype=np.float64, na_value=np.nan)
        tasks = z.index if tasks is None else tasks
        examples = z.columns if examples is None else examples
    else:
        values = np.asarray(z)
        if values.dtype not in (np.float32, np.float64):
            values = values.astype(np.float64)
    if values.ndim != 2:
        raise ValueError(f"a forgetting matrix is 2-D (tasks x examples); got shape {values.shape}")
    return values, _ids(tasks, values.shape[0], "tasks"), _ids(examples, values.shape[1], "examples")


def _ids(ids: Optional[Sequence], n: int, what: str) -> Optional[np.ndarray]:
    if ids is None:
        return None
    text = np.asarray([str(i) for i in ids], dtype=str)
    if len(text) != n:
        raise ValueError(f"{what} has {len(text)} ids for {n} {'rows' if what == 'tasks' else 'columns'}")
    return text


def write_matrix(path: Path, z: MatrixLike, tasks: Optional[Sequence] = None, examples: Optional[Sequence] = None) -> Path:
    """Writes ``z`` as an uncompressed .npz the engine reads with its ids (``task_ids``, ``example_ids``)."""
    values, task_ids, example_ids = as_matrix(z, tasks, examples)
    arrays = {"z": values}
    if task_ids is not None:
        arrays["task_ids"] = task_ids
    if example_ids is not None:
        arrays["example_ids"] = example_ids
    np.savez(path, **arrays)
    return path


def write_metadata(path: Path, table: pd.DataFrame) -> Path:
    """Writes example or task metadata (the index, or an id column, plus group columns) as CSV."""
    frame = table if "id" in table.columns else table.rename_axis("id").reset_index()
    frame.to_csv(path, index=False)
    return path


def example_metadata(z: MatrixLike, examples) -> Tuple[Optional[pd.DataFrame], Optional[Sequence]]:
    """Splits ``examples`` into example metadata (a DataFrame, or None) and the example ids to write with ``z``: a list
    of ids as given; the metadata's ids (``id`` column or index) for an array; none for a DataFrame (its columns).

    An array's columns have no ids but their positions, so metadata whose ids are the positions 0..N-1 (integers, or their
    text) describes column ``id`` whatever its row order: it is put in column order. Other ids name the columns in the
    metadata's row order."""
    if not isinstance(examples, pd.DataFrame):
        return None, examples
    if isinstance(z, pd.DataFrame):
        return examples, None
    ids = examples["id"] if "id" in examples.columns else examples.index
    positions = _positions(ids, np.shape(z)[1] if np.ndim(z) == 2 else -1)
    if positions is not None and not np.array_equal(positions, np.arange(len(positions))):
        examples = examples.iloc[np.argsort(positions, kind="stable")]
        ids = examples["id"] if "id" in examples.columns else examples.index
    return examples, ids


def _positions(ids: Sequence, n: int) -> Optional[np.ndarray]:
    """The ids as column positions when they are exactly 0..n-1 in some order (integers or their text), else None."""
    if len(ids) != n:
        return None
    positions = np.asarray([int(i) if isinstance(i, (int, np.integer)) or (isinstance(i, str) and i.strip().isdigit()) else -1 for i in ids])
    return positions if np.array_equal(np.sort(positions), np.arange(n)) else None


def given_example_ids(z: MatrixLike, ids: Optional[Sequence]) -> Optional[Sequence]:
    """The example ids as the caller gave them: ``ids``, a DataFrame's columns, or None for an array's positions."""
    if ids is not None:
        return list(ids)
    return list(z.columns) if isinstance(z, pd.DataFrame) else None


def integer_ids(ids) -> bool:
    """True when example ids given to the engine are integers (an array's positions, integer columns or index), so that
    the ids it hands back as text are returned as integers too."""
    return ids is None or (len(ids) > 0 and all(isinstance(i, (int, np.integer)) and not isinstance(i, bool) for i in ids))


def typed_ids(values: pd.Index, integers: bool) -> pd.Index:
    """Ids the engine wrote as text, as integers when they went in as integers (and all read as integers)."""
    if not integers or len(values) == 0 or not all(isinstance(v, str) and v.lstrip("-").isdigit() for v in values):
        return values
    return pd.Index([int(v) for v in values], name=values.name, dtype=np.int64)


def as_cells(observed) -> pd.Series:
    """Measured cells (a Series indexed by example id, a dict, an ``example,value`` DataFrame or a one-row wide one) as
    floats, NaNs dropped."""
    if isinstance(observed, pd.DataFrame):
        if {"example", "value"} <= set(observed.columns):
            observed = pd.Series(observed["value"].to_numpy(), index=observed["example"].to_numpy())
        elif len(observed) == 1:
            observed = observed.iloc[0]
        else:
            raise ValueError(f"observed is a DataFrame of {len(observed)} rows without columns 'example' and 'value': give a Series "
                             "indexed by example id, a dict, an example,value DataFrame or a one-row DataFrame of example columns")
    cells = pd.Series(observed, dtype=np.float64) if not isinstance(observed, pd.Series) else observed.astype(np.float64)
    return cells.dropna()


def write_cells(path: Path, observed) -> Path:
    """Writes measured cells (a Series indexed by example id, or a dict) as an ``example,value`` CSV; NaNs are dropped."""
    cells = as_cells(observed)
    pd.DataFrame({"example": [str(i) for i in cells.index], "value": cells.to_numpy()}).to_csv(path, index=False, float_format="%.17g")
    return path


def write_ids(path: Path, ids: Sequence) -> Path:
    """Writes a list of example ids as a one-column ``id`` CSV."""
    pd.DataFrame({"id": [str(i) for i in ids]}).to_csv(path, index=False)
    return path


def read_table(path: Path, id_column: str) -> pd.DataFrame:
    """Reads a table the engine wrote, ids as strings."""
    return pd.read_csv(path, dtype={id_column: str, "group": str}, keep_default_na=False, na_values=[""])


def write_features(folder: Path, features, what: str, name: Optional[str] = None) -> List[Path]:
    """Writes task or example features for the engine's ``--task-features`` / ``--example-features``; returns the files.

    ``features`` is one item or a list of them, each:

    - a DataFrame: a table whose ids are its ``id`` column, else its index (a default RangeIndex numbers the rows 0..M-1,
      the ids of a matrix given without ids); numeric columns are used as given, text and categorical ones one-hot;
    - a Series: one entity's features (index: feature names), named ``name`` (or the Series' name);
    - a numpy array: an embedding, one row per entity in matrix order (a 1-D array is one entity's row);
    - a path (str or os.PathLike) to a CSV/TSV/Parquet table or a .npy/.npz matrix, passed through as is.
    """
    items = list(features) if isinstance(features, (list, tuple)) else [features]
    if not items:
        raise ValueError(f"{what}_features is empty: pass a DataFrame, an array or a file path (or a list of them).")
    paths: List[Path] = []
    for k, item in enumerate(items):
        if isinstance(item, (str, os.PathLike)):
            paths.append(Path(item))
            continue
        path = folder / feature_file_name(k, item, what)
        if isinstance(item, pd.Series):
            label = item.name if name is None else name
            if label is None:
                raise ValueError(f"a Series of {what} features needs a name: pass {what}_name=... (or name the Series).")
            item = pd.DataFrame([item.to_numpy()], columns=item.index, index=pd.Index([str(label)], name="id"))
        if isinstance(item, pd.DataFrame):
            paths.append(write_metadata(path, item))
            continue
        values = np.asarray(item)
        if values.dtype.kind not in "fiub":
            raise ValueError(f"{what} features must be a DataFrame, a numeric array or a file path; got an array of {values.dtype}.")
        if values.ndim == 1:
            values = values.reshape(1, -1)
        if values.ndim != 2:
            raise ValueError(f"a {what} embedding is 2-D (one row per {what}); got shape {values.shape}.")
        np.save(path, values.astype(np.float64))
        paths.append(path)
    return paths


def feature_file_name(k: int, item, what: str) -> str:
    """The file the ``k``-th item of ``{what}_features`` is written to: named after the argument, so the engine's messages and
    fit report point at it (``task_features[0].csv`` for a table, ``task_features[1].npy`` for an embedding)."""
    table = isinstance(item, (pd.DataFrame, pd.Series, dict))
    return f"{what}_features[{k}].{'csv' if table else 'npy'}"


def feature_args(folder: Path, features, what: str, name: Optional[str] = None) -> List[object]:
    """The engine's ``--task-features F ...`` (or ``--example-features``) arguments for ``features`` (None: none)."""
    if features is None:
        return []
    args: List[object] = []
    for path in write_features(folder, features, what, name):
        args += [f"--{what}-features", path]
    return args


def single_task_name(features, task_name: Optional[str]) -> Optional[str]:
    """The new task's name for a query with features: ``task_name``, else the id of a one-row DataFrame or a Series' name
    (``new-task`` when the features are arrays only, whose rows are read by position)."""
    if task_name is not None or features is None:
        return task_name
    items = features if isinstance(features, (list, tuple)) else [features]
    for item in items:
        if isinstance(item, pd.Series) and item.name is not None:
            return str(item.name)
        if isinstance(item, pd.DataFrame) and len(item) == 1 and not isinstance(item.index, pd.RangeIndex):
            return str(item.index[0])
    if all(isinstance(item, np.ndarray) for item in items):
        return "new-task"  # an embedding's rows are matched by position, so any name reads it
    raise ValueError("task_features needs task_name: the id of the new task's row in the features.")
