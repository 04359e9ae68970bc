"""Data exchange with the engine through files: matrices as .npz with ids, tables as CSV (or Parquet with pyarrow)."""
from __future__ import annotations

import os
import re
import struct
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import pandas as pd

from ._engine import ID_KIND_TAG, InputError

MatrixLike = Union[np.ndarray, pd.DataFrame]
FeaturesLike = Union[pd.DataFrame, pd.Series, np.ndarray, str, os.PathLike]


def as_matrix(z: MatrixLike, tasks: Optional[Sequence] = None, examples: Optional[Sequence] = None, name: str = "z"
              ) -> Tuple[np.ndarray, Optional[np.ndarray], Optional[np.ndarray]]:
    """The values (float32 or float64, NaN = missing) and the task and example ids (text, or None to number them).

    A numpy masked array's masked cells are missing (NaN), whatever value lies under the mask."""
    task_label, example_label = "tasks", "examples"
    if isinstance(z, pd.DataFrame):
        _refuse_multiindex(z.index, name, "the index (the task ids)")
        _refuse_multiindex(z.columns, name, "the columns (the example ids)")
        values = _frame_values(z, name)
        if tasks is None:
            tasks, task_label = z.index, f"{name}'s index"
        if examples is None:
            examples, example_label = z.columns, f"{name}'s columns"
    else:
        values = array_values(z, name)
    if values.ndim != 2:
        raise InputError(f"a forgetting matrix is 2-D (tasks x examples); {name} has shape {values.shape}")
    return values, _ids(tasks, values.shape[0], "task", task_label, name), _ids(examples, values.shape[1], "example", example_label, name)


def array_values(z, name: str) -> np.ndarray:
    """An array's values as float32 or float64: a masked array's masked cells as NaN (missing); text refused naming the cell."""
    if np.ma.isMaskedArray(z):
        dtype = z.dtype if z.dtype in (np.float32, np.float64) else np.float64
        return np.ma.filled(_as_float(z, dtype, name), np.nan)
    values = np.asarray(z)
    return values if values.dtype in (np.float32, np.float64) else _as_float(values, np.float64, name)


def _as_float(values, dtype, name: str):
    if values.dtype.kind == "c":
        raise InputError(f"{name} holds complex numbers; give real forgetting values (e.g. {name}.real).")
    try:
        return values.astype(dtype)
    except (TypeError, ValueError):
        flat = np.asarray(values).reshape(-1)
        k = next(k for k in range(flat.size) if not _is_number(flat[k]))
        where = np.unravel_index(k, np.shape(values))
        raise InputError(f"{name}[{', '.join(map(str, where))}] is {flat[k]!r}, not a number; {name} must hold numbers "
                         "(NaN = missing): convert it (e.g. pd.to_numeric) or drop what is not a measurement.") from None


def _frame_values(z: pd.DataFrame, name: str) -> np.ndarray:
    try:
        return z.to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError):
        for k in range(z.shape[1]):
            column = z.iloc[:, k]
            bad = next(((i, v) for i, v in column.items() if not _is_number(v)), None)
            if bad is not None:
                raise InputError(f"{name}: column {z.columns[k]!r} holds {bad[1]!r} (row {bad[0]!r}), not a number; {name} must hold "
                                 f"numbers (NaN = missing): convert the column (pd.to_numeric({name}[{z.columns[k]!r}])) or drop it.") from None
        raise


def _is_number(value) -> bool:
    if value is None or value is pd.NA or isinstance(value, np.ma.core.MaskedConstant):
        return True
    if isinstance(value, (str, bytes)):
        return False
    try:
        float(value)
        return True
    except (TypeError, ValueError):
        return False


def _refuse_multiindex(index, argument: str, what: str) -> None:
    if isinstance(index, pd.MultiIndex):
        raise InputError(f"{argument}: {what} is a MultiIndex of {index.nlevels} levels ({', '.join(str(n) for n in index.names)}); an id is "
                         "one value: keep the level that holds the ids (.droplevel(...), or .reset_index() then .set_index(column)), "
                         "or join the levels into one id.")


# The kinds of example ids the package gives back as they went in: text, int64 (an array's column positions, integer
# labels), uint64 (unsigned labels, integers from 2**63 to 2**64), int (Python integers beyond 64 bits), float, and mixed
# (text beside integers, as pandas keeps ['a', 0, 1] in an object Index: each id comes back of its own type).
ID_KINDS = ("text", "int64", "uint64", "int", "float", "mixed")


def id_text(value, argument: str = "an id") -> str:
    """An id as the engine reads it: text as is, bytes decoded as UTF-8 (so they come back as that text), integers in
    decimal, and a float that is a whole number as that integer (0.0 -> "0", so float labels and integer ids name the same
    example); other floats in their shortest form. A tuple (a MultiIndex entry, or tuple labels in a plain Index) is
    refused as a MultiIndex is: an id is one value."""
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError as e:
            raise InputError(f"{argument}: the id {value!r} is bytes that are not UTF-8 text ({e.reason} at byte {e.start}); ids are "
                             "names or numbers: decode them as they were encoded (e.g. [i.decode('latin-1') for i in ids]).") from None
    if isinstance(value, tuple):
        raise InputError(f"{argument}: the id {value!r} is a tuple; an id is one value (a name or a number), as for a MultiIndex: "
                         "keep the part that names it, or join the parts into one id (e.g. '-'.join(map(str, label))).")
    if value is None or value is pd.NA:  # refused as NaN is, not written as the id "None"
        raise InputError(f"{argument}: an id is {value!r}; ids must be names or finite numbers (a missing label is often a column "
                         "or index entry without a name): set the ids.")
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        number = float(value)
        if not np.isfinite(number):
            raise InputError(f"{argument}: an id is {number!r}; ids must be names or finite numbers (a NaN label is often a "
                             "missing column name or index entry): set the ids.")
        return str(int(number)) if number.is_integer() else repr(number)
    return str(value)


def id_kind(ids, argument: str = "the ids") -> str:
    """The kind of ``ids`` (one of :data:`ID_KINDS`) results give them back as; None (an array's columns) is int64.

    Text beside integers is ``mixed``: the engine reads every id as text, and an id whose text is a whole number came in as
    an integer, so no text id may spell one (``'1'`` beside ``2`` could not come back as given, and is refused naming
    ``argument``), nor may text stand beside floats or booleans (refused alike): give the ids all as text or all as numbers."""
    if ids is None:
        return "int64"
    dtype = getattr(ids, "dtype", None)
    if dtype is not None and dtype.kind in "iuf":
        return {"i": "int64", "u": "uint64", "f": "float"}[dtype.kind]
    values = list(ids)
    if not values:
        return "text"
    integers = [isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)) for v in values]
    if all(integers):
        low, high = min(int(v) for v in values), max(int(v) for v in values)
        return "int64" if -2 ** 63 <= low and high < 2 ** 63 else "uint64" if 0 <= low and high < 2 ** 64 else "int"
    if all(i or isinstance(v, (float, np.floating)) for i, v in zip(integers, values)):
        return "float"
    text = next((v for v in values if isinstance(v, (str, bytes))), None)
    if text is None:
        return "text"  # other objects (dates, say) are ids by their text, and come back as text
    other = next((v for v in values if isinstance(v, (float, np.floating, bool, np.bool_))), None)
    number = next((v for i, v in zip(integers, values) if i), None)
    if other is None and number is None:
        return "text"
    as_text = {"z's columns": "z.columns.astype(str)", "z's index": "z.index.astype(str)"}.get(argument, f"[str(i) for i in {argument}]")
    fix = f"give them all as text (e.g. {as_text}) or all as numbers, so they come back as they went in"
    if other is not None:
        what = "a boolean" if isinstance(other, (bool, np.bool_)) else "a float"
        raise InputError(f"{argument}: the ids mix text ({text!r}) and {what} ({other!r}), which the engine reads as text alike, so "
                         f"they could not come back of their own types; {fix}.")
    spelled = next((v for v in values if isinstance(v, (str, bytes)) and _INTEGER.match(id_text(v, argument))), None)
    if spelled is not None and id_text(spelled, argument) in {str(int(v)) for i, v in zip(integers, values) if i}:
        return "text"  # '1' beside 1: one id twice, which writing the matrix refuses naming both
    if spelled is not None:
        raise InputError(f"{argument}: the ids mix text and integers ({number!r}), and the text id {spelled!r} spells a whole number, "
                         f"so it could not come back as text beside them (it would read as the integer {id_text(spelled, argument)}); "
                         f"{fix}.")
    return "mixed"


def example_id_kind(z, ids) -> str:
    """The kind of the example ids given with ``z`` (``ids``, else a DataFrame's columns; :func:`given_example_ids`)."""
    return id_kind(given_example_ids(z, ids), "examples" if ids is not None else "z's columns")


def task_id_kind(z, ids) -> str:
    """The kind of the task ids given with ``z`` (``ids``, else a DataFrame's index; :func:`given_task_ids`)."""
    return id_kind(given_task_ids(z, ids), "tasks" if ids is not None else "z's index")


_INTEGER = re.compile(r"-?[0-9]+\Z")
_FLOAT = re.compile(r"-?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?\Z")


def typed_ids(values, kind: str, name=None) -> pd.Index:
    """Ids the engine wrote as text, of the kind they went in as (:func:`id_kind`); as text when one does not read as such."""
    name = getattr(values, "name", None) if name is None else name
    values = [str(v) for v in values]
    if not values and kind in ("int64", "uint64", "float"):  # no ids: of the kind's dtype still
        return pd.Index([], dtype={"int64": np.int64, "uint64": np.uint64, "float": np.float64}[kind], name=name)
    if kind == "text" or not values:
        return pd.Index(values, dtype=object, name=name)
    if kind == "mixed":  # an id whose text is a whole number went in as an integer (no text id spells one: id_kind)
        return pd.Index([int(v) if _INTEGER.match(v) else v for v in values], dtype=object, name=name)
    try:
        if kind == "float":
            if all(_FLOAT.match(v) for v in values):
                return pd.Index([float(v) for v in values], dtype=np.float64, name=name)
        elif all(_INTEGER.match(v) for v in values):
            numbers = [int(v) for v in values]
            return pd.Index(numbers, dtype={"int64": np.int64, "uint64": np.uint64}.get(kind, object), name=name)
    except OverflowError:
        pass
    return pd.Index(values, dtype=object, name=name)


def typed_list(values, kind: str) -> list:
    """A list of ids (a group's top examples) of the kind they went in as."""
    return typed_ids(values, kind).tolist()


def matrix_file_name(kind: str, stem: str = "z") -> str:
    """The file a matrix is written to for the engine: its name records the kind of its example ids (``z.int64-ids.npz``),
    and the engine keeps that name in the model file (``source``; the service's ``source`` of an upload), so a model
    loaded from its file, or asked of the service, gives its ids back as they went in. Text ids: ``z.npz``."""
    return f"{stem}.npz" if kind == "text" else f"{stem}.{kind}-ids.npz"


def kind_of_source(source: Optional[str]) -> Optional[str]:
    """The id kind recorded in a model's source file name (:func:`matrix_file_name`), or None when it records none."""
    match = ID_KIND_TAG.search(source or "")
    return match.group(1) if match and (source or "").endswith(match.group(0)) else None


def model_metadata(path) -> Dict[str, str]:
    """The key/value metadata a model file records (its first section: method, source, r2, ...); empty when it is not
    a model file (the engine says why when it reads it)."""
    try:
        with open(path, "rb") as f:
            if f.read(8) != b"FPMODEL\0":
                return {}
            f.read(12)  # format version (uint32) and payload length (int64)
            tag, length = struct.unpack("<Iq", f.read(12))
            if tag != 1 or not 0 <= length <= 1 << 24:
                return {}
            body = f.read(length)
        (count,), offset = struct.unpack_from("<i", body, 0), 4
        items: Dict[str, str] = {}
        for _ in range(count):
            key, offset = _string(body, offset)
            value, offset = _string(body, offset)
            items[key] = value
        return items
    except (OSError, struct.error, UnicodeDecodeError, ValueError):
        return {}


def _string(body: bytes, offset: int) -> Tuple[str, int]:
    (length,) = struct.unpack_from("<i", body, offset)
    if not 0 <= length <= len(body) - offset - 4:
        raise ValueError("string beyond the section")
    return body[offset + 4:offset + 4 + length].decode("utf-8"), offset + 4 + length


def _ids(ids: Optional[Sequence], n: int, kind: str, label: str, name: str) -> Optional[np.ndarray]:
    """``ids`` of the ``n`` tasks or examples (``kind``) of matrix ``name`` as the engine reads them; ``label`` names where
    they came from (``tasks``, ``z's columns``) in messages."""
    if ids is None:
        return None
    _refuse_multiindex(ids, label, "the ids")
    text = [id_text(i, label) for i in ids]
    axis = "rows" if kind == "task" else "columns"
    if len(text) != n:
        raise InputError(f"{label} has {len(text)} ids for the {n} {axis} of {name}; give one id per {axis[:-1]}.")
    if len(set(text)) != len(text):
        seen: Dict[str, object] = {}
        for given, written in zip(ids, text):
            if written in seen:
                first = seen[written]
                twice = (f"the id {given!r} is given twice" if first == given and type(first) is type(given)
                         else f"{first!r} and {given!r} are both the id '{written}'")
                raise InputError(f"{label}: {twice}; every {kind} needs its own id.")
            seen[written] = given
    numbers: Dict[str, object] = {}
    for given, written in zip(ids, text):
        number = whole_number(written)
        if number is not None and number in numbers:
            raise InputError(f"{label}: {numbers[number]!r} and {given!r} are one number written two ways, which the engine refuses among "
                             f"a matrix's ids as it does in a file (pandas writes a whole-number id column that holds a missing value as "
                             f"floats: 3.0); write every id one way (e.g. as integers), or as text that is not a number.")
        if number is not None:
            numbers[number] = given
    return np.asarray(text, dtype=str)


_WHOLE = re.compile(r"(-?)(0|[1-9][0-9]*)(\.0+)?\Z")


def whole_number(text: str) -> Optional[str]:
    """The whole number an id's text spells, in its shortest form, else None: "12", "12.0" and "12.00" give "12", "-0.0"
    gives "0"; "012", "1.5", "1e3" and "a" give None. The engine's rule (IdList.WholeNumber): two ids of a matrix that give
    the same number are refused, as one number written two ways."""
    match = _WHOLE.match(text)
    if match is None:
        return None
    return "0" if match.group(2) == "0" else match.group(1) + match.group(2)


def write_matrix(path: Path, z: MatrixLike, tasks: Optional[Sequence] = None, examples: Optional[Sequence] = None, name: str = "z") -> Path:
    """Writes ``z`` as an uncompressed .npz the engine reads with its ids (``task_ids``, ``example_ids``)."""
    values, task_ids, example_ids = as_matrix(z, tasks, examples, name)
    arrays = {"z": values}
    if task_ids is not None:
        arrays["task_ids"] = task_ids
    if example_ids is not None:
        arrays["example_ids"] = example_ids
    np.savez(path, **arrays)
    return path


def metadata_ids(table: pd.DataFrame, argument: str, features: bool = False) -> Sequence:
    """A metadata table's ids: its ``id`` column, else its index (a MultiIndex refused, naming ``argument``).

    pandas' default index (row numbers 0..n-1, e.g. after ``read_csv`` or ``reset_index(drop=True)``) is no id column of
    its own: :func:`write_metadata` hands the frame to the engine as ``to_csv`` writes it, and the ids are the column the
    engine takes (:func:`engine_id_column`; the row numbers when it takes none), as it does for a CSV file of the frame.
    Feature tables (``features``) keep the row numbers as the ids, as documented for ``task_features``; there a default
    index beside a column that could hold the ids in other rows (distinct, not decimals) is refused as ambiguous: after a
    shuffle or a sort the row numbers no longer say which entity a row describes."""
    _refuse_multiindex(table.columns, argument, "the columns")
    if "id" in table.columns:
        return table["id"]
    _refuse_multiindex(table.index, argument, "the index (the ids)")
    index = table.index
    if not features:
        column = engine_id_column(table, argument)
        return index if column is None else table[column]
    if _default_index(table) and len(table.columns) > 0:
        first = table.columns[0]
        column = table[first]
        could_be_ids = (not pd.api.types.is_float_dtype(column) and not pd.api.types.is_bool_dtype(column)
                        and column.notna().all() and column.is_unique)
        if could_be_ids and [str(v) for v in column] != [str(i) for i in index]:
            raise InputError(f"{argument}: its index is pandas' row numbers 0..{len(table) - 1} and column {first!r} could hold the ids, "
                             f"in other rows; say which holds them: {argument}.set_index({first!r}), or an 'id' column.")
    return index


def _default_index(table: pd.DataFrame) -> bool:
    """True when ``table``'s index is pandas' default: the unnamed row numbers 0..n-1 (``read_csv``, ``reset_index(drop=True)``)."""
    index = table.index
    return isinstance(index, pd.RangeIndex) and index.name is None and index.start == 0 and index.step == 1


# The names pandas gives an index written as a column (to_csv's empty header; read_csv's 'Unnamed: 0'; Parquet's).
_PANDAS_INDEX = ("", "Unnamed: 0", "__index_level_0__")


def _is_pandas_index(name) -> bool:
    return isinstance(name, str) and name.strip() in _PANDAS_INDEX


def _written(values) -> List[str]:
    """Values as a CSV file holds them (a missing one empty), to tell which could be ids as the engine tells it."""
    return ["" if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, (float, np.floating)) and np.isnan(v)) else str(v)
            for v in values]


def _could_hold_ids(values: List[str]) -> bool:
    return all(values) and len(set(values)) == len(values)


def engine_id_column(table: pd.DataFrame, argument: str):
    """The column of metadata with pandas' default index (row numbers) and no ``id`` column that the engine takes as its
    ids when :func:`write_metadata` hands it over (as ``to_csv`` writes it: the row numbers first, as pandas' unnamed index,
    unless the frame holds such an index column already, ``Unnamed: 0`` from ``read_csv`` of a file written with its
    index), or None when it takes the row numbers. None for any other index (the ids).

    The engine's rule for a metadata table (MetadataTable's id column): a column named id (any case); else a pandas index
    that is not the row numbers 0, 1, 2...; else the first other column, when any other column could hold ids (every value
    given and distinct, and not decimal numbers such as a base loss); else the pandas index. ``charlm-b/upstream.csv`` read by ``read_csv`` (``column,source``) is keyed by
    ``column``, a frame of group columns only (``source``) by its row numbers. Where the engine would refuse the file (an
    index of whole numbers out of order beside another column that could hold the ids), or take a first column that cannot
    hold ids, it is refused here, naming ``argument``."""
    if not _default_index(table) or len(table.columns) == 0:
        return None
    names = list(table.columns)
    named = next((c for c in names if isinstance(c, str) and c.lower() == "id"), None)
    if named is not None:
        return named
    text = [_written(table.iloc[:, k]) for k in range(len(names))]
    rows = [str(r) for r in range(len(table))]
    index = next((k for k, c in enumerate(names) if _is_pandas_index(c)), None)
    others = [k for k, c in enumerate(names) if not _is_pandas_index(c)]
    rivals = [k for k in others if _could_hold_ids(text[k]) and not _decimals(text[k])]  # distinct decimals: measurements
    if index is not None and text[index] != rows:  # the frame's own pandas index, not the row numbers: the ids ...
        rival = next((k for k in rivals if not _decimals(text[k]) and text[k] != text[index]), None)
        if rival is not None and all(v.isascii() and v.isdigit() and len(v) <= 18 for v in text[index]):
            raise InputError(f"{argument}: its column {names[index]!r} is a pandas index of whole numbers that are not the row numbers "
                             f"0, 1, 2... in order, and column {names[rival]!r} could hold the ids too (a sorted, filtered or shuffled "
                             f"frame keeps its old row numbers); say which holds them: {argument}.set_index({names[rival]!r}) or "
                             f"{argument}.set_index({names[index]!r}).")
        return names[index]  # ... unless whole numbers out of order beside another column that could hold them
    if not rivals:
        return None  # group columns only: the row numbers are the ids
    first = others[0]
    try:
        ids = [id_text(v, argument) for v in table.iloc[:, first]]
    except InputError:
        ids = [""]
    if not _could_hold_ids(ids):
        problem = "has a missing value" if not all(ids) else f"repeats {next(i for n, i in enumerate(ids) if i in ids[:n])!r}"
        raise InputError(f"{argument}: its index is pandas' row numbers, so its ids are its first column, {names[first]!r} (as the engine "
                         f"reads a table whose first column is not named id), but {names[first]!r} {problem}; say which column holds "
                         f"the ids: {argument}.set_index({names[rivals[0]]!r}), or put it first.")
    return names[first]


def _decimals(values: List[str]) -> bool:
    """Numbers of which one at least is not whole (0.25, 1e-3): measurements, not ids."""
    try:
        [float(v) for v in values]
    except ValueError:
        return False
    return not all(_INTEGER.match(v) for v in values)


def write_metadata(path: Path, table: pd.DataFrame, argument: str = "examples", features: bool = False) -> Path:
    """Writes example or task metadata (the index, or an id column, plus group columns) as CSV, ids as the engine reads
    them (:func:`id_text`). A frame with pandas' default index and no ``id`` column is handed over as the engine reads a
    table (:func:`engine_id_column`): without its row numbers when the engine takes a column as the ids (``column,source``,
    as the file ``read_csv`` read), else with them as pandas' unnamed index (``to_csv``'s ``,source``); a pandas index column
    of its own that does not hold the ids (``Unnamed: 0``), which the engine ignores, is left out. Feature tables
    (``features``) keep the row numbers as their ids."""
    ids = metadata_ids(table, argument, features)
    _refuse_repeated_ids(ids, argument)
    if "id" not in table.columns and not features and _default_index(table) and len(table.columns) > 0:
        column = engine_id_column(table, argument)
        frame = table.loc[:, [c == column or not _is_pandas_index(c) for c in table.columns]].copy()
        if column is not None:
            frame[column] = [id_text(i, argument) for i in ids]
        frame.to_csv(path, index=column is None)
        return path
    frame = table.copy() if "id" in table.columns else table.rename_axis("id").reset_index()
    frame["id"] = [id_text(i, argument) for i in ids]
    frame.to_csv(path, index=False)
    return path


def _refuse_repeated_ids(ids, argument: str) -> None:
    """Refuses metadata whose ids repeat, naming the DataFrame's argument, where its ids are and the two rows (the engine
    would name a line of the temporary file the package wrote, which the caller never saw)."""
    seen: Dict[str, int] = {}
    for row, value in enumerate(ids):
        try:
            text = id_text(value, argument)
        except InputError:
            return  # not an id: write_metadata's own refusal names it
        if text in seen:
            where = "its index" if isinstance(ids, pd.Index) else f"column {ids.name!r}"
            raise InputError(f"{argument}: the id {text!r} ({where}) is in two rows of the DataFrame, positions {seen[text]} and {row}; "
                             f"keep one row per id (e.g. {argument}[~{argument}.index.duplicated()] or {argument}.drop_duplicates('id')).")
        seen[text] = row


def example_metadata(z: MatrixLike, examples) -> Tuple[Optional[pd.DataFrame], Optional[Sequence]]:
    """Splits ``examples`` into example metadata (a DataFrame, or None) and the example ids to write with ``z``: a list
    of ids as given; the metadata's ids (``id`` column or index) for an array; none for a DataFrame (its columns).

    An array's columns have no ids but their positions, so metadata whose ids are the positions 0..N-1 (integers, or their
    text) describes column ``id`` whatever its row order: its ids are put in column order. Other ids name the columns in the
    metadata's row order. Metadata of another length than the array's columns is joined by id to the columns' positions,
    as it is to a DataFrame's columns (with the engine's warning about examples without metadata, or rows naming none),
    when its ids are positions (whole numbers from 0); other ids cannot name the columns, and are refused."""
    if not isinstance(examples, pd.DataFrame):
        if examples is not None and np.ndim(examples) == 0:
            raise InputError(f"examples={short_repr(examples)}: give the example ids (a list, one per column of z) or example metadata "
                             "(a DataFrame indexed by example id" + (", e.g. pd.DataFrame(examples, index=ids)" if isinstance(examples, dict) else "") + ").")
        if examples is not None:
            seen: set = set()
            try:
                twice = next((i for i in examples if not isinstance(i, float) and (i in seen or seen.add(i))), None)
            except TypeError:  # an unhashable entry: the engine names it
                twice = None
            if twice is not None:
                raise InputError(f"examples is a {'Series' if isinstance(examples, pd.Series) else 'list'}, read as the example ids (one per column of z), but {twice!r} is in it twice: "
                                 "to give each example's source or domain, pass a DataFrame indexed by example id instead "
                                 "(pd.DataFrame({'source': sources}, index=ids), or with z's columns as the index).")
        return None, examples
    ids = metadata_ids(examples, "examples")
    if isinstance(z, pd.DataFrame):
        # Metadata that names none of z's columns would group nothing: refused here, as the service refuses the upload.
        columns = {id_text(c, "z's columns") for c in z.columns}
        if len(ids) > 0 and len(z.columns) > 0 and not any(id_text(i, "examples") in columns for i in ids):
            raise InputError(f"examples: none of its {len(ids)} ids is one of z's columns (first id: {list(ids)[0]!r}, first column: "
                             f"{z.columns[0]!r}); index the metadata (or give it an 'id' column) by z's column labels.")
        return examples, None
    n = np.shape(z)[1] if np.ndim(z) == 2 else -1
    positions = _positions(ids, n)
    if positions is not None:
        if not np.array_equal(positions, np.arange(len(positions))):
            # The ids in column order; the engine joins the metadata's rows to them by id, in any row order.
            ids = pd.Index(ids).take(np.argsort(positions, kind="stable"))
        return examples, ids
    if len(ids) == n or n < 0:
        return examples, ids
    if len(ids) > 0 and all(_position(i) is not None for i in ids):
        return examples, None
    shown = ", ".join(repr(i) for i in list(ids)[:3])
    raise InputError(f"examples has {len(ids)} rows of metadata for the {n} columns of z, and its ids ({shown}{', ...' if len(ids) > 3 else ''}) "
                     f"are not column positions, so they cannot name z's columns: give one row per column (in column order), index it "
                     f"by column position 0..{n - 1}, or give z as a DataFrame whose columns are the example ids.")


def _position(i) -> Optional[int]:
    """``i`` as a column position (a whole number from 0, or its text), else None."""
    if isinstance(i, (bool, np.bool_)) or not isinstance(i, (int, np.integer, float, np.floating, str)):
        return None
    try:
        text = id_text(i)
    except InputError:
        return None
    return int(text) if text.isdigit() and text.isascii() else None


def _positions(ids: Sequence, n: int) -> Optional[np.ndarray]:
    """The ids as column positions when they are exactly 0..n-1 in some order (integers or their text), else None."""
    if len(ids) != n:
        return None
    positions = np.asarray([-1 if p is None else p for p in (_position(i) for i in ids)], dtype=np.int64)
    return positions if np.array_equal(np.sort(positions), np.arange(n)) else None


def given_example_ids(z: MatrixLike, ids: Optional[Sequence]) -> Optional[Sequence]:
    """The example ids as the caller gave them: ``ids``, a DataFrame's columns, or None for an array's positions."""
    if ids is not None:
        return ids if isinstance(ids, (pd.Index, pd.Series, np.ndarray)) else list(ids)
    return z.columns if isinstance(z, pd.DataFrame) else None


def given_task_ids(z: MatrixLike, ids: Optional[Sequence]) -> Optional[Sequence]:
    """The task ids as the caller gave them: ``ids``, a DataFrame's index, or None for an array's rows."""
    if ids is not None:
        return ids if isinstance(ids, (pd.Index, pd.Series, np.ndarray)) else list(ids)
    return z.index if isinstance(z, pd.DataFrame) else None


def as_id_list(ids, argument: str) -> list:
    """A list of ids (``exclude``): one id (a string or a number) is a list of one, not its characters; any other iterable
    (a list, an array, a Series, a set, ``dict.keys()``, a generator) is its items, in their order. A set or frozenset has
    none, so its ids are sorted by their text: the engine gets the same list, and says the same, on every run."""
    if isinstance(ids, (str, bytes)):
        return [ids]
    if isinstance(ids, pd.DataFrame):
        raise InputError(f"{argument} is a DataFrame; give a list of example ids (e.g. frame.index or frame['id']).")
    if isinstance(ids, np.ndarray) and ids.ndim == 0:
        return [ids.item()]
    if isinstance(ids, (set, frozenset)):
        return sorted(ids, key=lambda i: (type(i).__name__, str(i)))
    try:
        return list(iter(ids))
    except TypeError:  # not iterable: one id (a number)
        return [ids]


def replay_settings(budget=None, ratio=None, task_size=None, temperature=None, min_per_group=None, seed=None) -> Dict[str, object]:
    """Replay's number arguments as both the local engine and the service get them (one rule for :meth:`Model.replay` and
    the client's): whole numbers as ``int`` (numpy's too, and floats that are whole), the temperature as a ``float`` that
    reads as it was written (``np.float32(0.1)`` is 0.1, not 0.10000000149011612, so local and remote weights agree); a
    string, a bool or a number that is not whole is refused naming the argument. Those left out (None) are not in the
    answer; the ranges are the engine's to check."""
    settings: Dict[str, object] = {}
    for name, value in (("budget", budget), ("ratio", ratio), ("task_size", task_size), ("min_per_group", min_per_group), ("seed", seed)):
        if value is None:
            continue
        whole = _whole(value)
        if whole is None:
            raise InputError(f"{name}={short_repr(value)} is not a whole number; give e.g. {name}=10.")
        settings[name] = whole
    if temperature is not None:
        if isinstance(temperature, (bool, np.bool_)) or not isinstance(temperature, (int, float, np.integer, np.floating)):
            raise InputError(f"temperature={short_repr(temperature)} is not a number; give e.g. temperature=0.1.")
        # A numpy float's shortest text in its own precision is the number it was written as.
        value = float(str(temperature)) if isinstance(temperature, np.floating) else float(temperature)
        if not np.isfinite(value):
            raise InputError(f"temperature={value!r} is not a finite number; give e.g. temperature=0.1.")
        settings["temperature"] = value
    return settings


def short_repr(value, limit: int = 80) -> str:
    """``repr(value)`` cut to ``limit`` characters, for a message that shows what was given."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 4] + " ..."


def _whole(value) -> Optional[int]:
    """``value`` as an int when it is an integer (numpy's too) or a float that is a whole number; else None (a bool too)."""
    if isinstance(value, (bool, np.bool_)):
        return None
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)) and np.isfinite(value) and float(value).is_integer():
        return int(value)
    return None


def whole_numbers(value, argument: str, example: str) -> Tuple[List[int], bool]:
    """``value`` (one whole number, or an iterable of them) as a list of ints, and whether one number was given; anything
    else (a string, a bool, a number that is not whole) refused naming ``argument`` (``example`` shows the forms)."""
    single = _whole(value)
    if single is not None:
        return [single], True
    if isinstance(value, (str, bytes, dict, pd.DataFrame)) or np.ndim(value) == 0:
        raise InputError(f"{argument}={value!r} is not a whole number or a list of them; give {example}.")
    items = list(value)
    numbers = [_whole(v) for v in items]
    if None in numbers:
        bad = items[numbers.index(None)]
        raise InputError(f"{argument}: {bad!r} is not a whole number; give {example}.")
    return numbers, False


def task_id_list(ids, argument: str) -> List[str]:
    """Task ids for a comma-separated option of the engine (``test_tasks``): one id (a string or a number) is a list of one;
    an id with a comma, or with spaces around it, cannot be told apart there and is refused."""
    ids = [id_text(i, argument) for i in as_id_list(ids, argument)]
    bad = next((i for i in ids if "," in i or i != i.strip()), None)
    if bad is not None:
        raise InputError(f"{argument}: the task id {bad!r} cannot be passed ({'it holds a comma' if ',' in bad else 'it starts or ends with spaces'}, "
                         "and the engine reads the ids as a comma-separated list); rename the task, or give its row position as test_rows.")
    return ids


def as_cells(observed, argument: str = "observed") -> pd.Series:
    """Measured cells (a Series indexed by example id, a dict, an ``example,value`` DataFrame or a one-row wide one) as
    floats, NaNs dropped; a masked array's masked cells (and ``np.ma.masked`` values) are missing. None measured (empty,
    or all NaN) is refused, locally and through the client alike: ``observed=None`` says that."""
    if isinstance(observed, pd.DataFrame):
        _refuse_multiindex(observed.columns, argument, "the columns")
        if {"example", "value"} <= set(observed.columns):
            observed = pd.Series(observed["value"].to_numpy(), index=observed["example"].to_numpy())
        elif len(observed) == 1:
            observed = observed.iloc[0]
        else:
            raise InputError(f"{argument} is a DataFrame of {len(observed)} rows without columns 'example' and 'value': give a Series "
                             "indexed by example id, a dict, an example,value DataFrame or a one-row DataFrame of example columns")
    elif isinstance(observed, dict):
        observed = pd.Series(list(observed.values()), index=pd.Index(list(observed.keys()), dtype=object), dtype=object)
    elif np.ma.isMaskedArray(observed):
        observed = pd.Series(array_values(observed, argument))
    elif not isinstance(observed, pd.Series):
        if isinstance(observed, (str, bytes)) or np.ndim(observed) == 0:
            raise InputError(f"{argument}={observed!r} is a single value, not measured cells: give them by example id, as a Series "
                             "indexed by example id, a dict {id: value}, an example,value DataFrame or a one-row DataFrame of example columns.")
        if np.asarray(observed).dtype.kind == "b":
            raise InputError(f"{argument} is an array of booleans, not measured values; give measured forgetting as numbers (a mask of "
                             "which examples were measured selects them: values[mask], as a Series indexed by example id).")
        observed = pd.Series(array_values(observed, argument) if np.ndim(observed) > 0 else observed)
    _refuse_multiindex(observed.index, argument, "the index (the example ids)")
    if observed.dtype == object:
        # pd.NA, None and a masked constant are not measured (astype(float) refuses pd.NA).
        observed = observed.map(lambda v: np.nan if v is None or v is pd.NA or isinstance(v, np.ma.core.MaskedConstant) else v)
    # Text is refused even when it reads as a number ('0.5'), in a Series, a dict or a DataFrame alike: named by its cell.
    text_cell = next(((i, v) for i, v in observed.items() if isinstance(v, (str, bytes))), None) \
        if not pd.api.types.is_numeric_dtype(observed.dtype) else None
    if text_cell is not None:
        raise InputError(f"{argument}: example {text_cell[0]!r} has the text {text_cell[1]!r}, not a number; give measured forgetting as "
                         "numbers (pd.to_numeric converts text; NaN or no entry = not measured).")
    # A boolean is a mask passed by mistake (True would be read as a loss increase of 1): refused, named by its cell.
    bool_cell = next(((i, v) for i, v in observed.items() if isinstance(v, (bool, np.bool_))), None) \
        if observed.dtype == object or observed.dtype.kind == "b" else None
    if bool_cell is not None:
        raise InputError(f"{argument}: example {bool_cell[0]!r} has the boolean {bool_cell[1]!r}, not a measured value; give measured "
                         "forgetting as numbers (a mask of which examples were measured selects them: values[mask]).")
    # (a complex dtype holds every cell as complex: name one whose imaginary part is not 0, if there is one)
    complex_cells = [(i, v) for i, v in observed.items() if isinstance(v, (complex, np.complexfloating))] \
        if observed.dtype == object or observed.dtype.kind == "c" else []
    complex_cell = next((c for c in complex_cells if c[1].imag != 0), complex_cells[0] if complex_cells else None)
    if complex_cell is not None:
        raise InputError(f"{argument}: example {complex_cell[0]!r} has the complex value {complex_cell[1]!r}; give measured forgetting "
                         "as real numbers (e.g. the .real part).")
    try:
        cells = observed.astype(np.float64)
    except (TypeError, ValueError):
        example, value = next((i, v) for i, v in observed.items() if not _is_number(v))
        raise InputError(f"{argument}: example {example!r} has the value {value!r}, not a number; give measured forgetting as numbers "
                         "(NaN or no entry = not measured).") from None
    cells = cells.dropna()
    if cells.empty:  # the engine would name its file, and the service would answer as for None: refused alike, here
        raise InputError(f"{argument} holds no measured cell ({'it is empty' if observed.empty else 'every value is NaN'}); give at least "
                         f"one, or leave {argument} out (None) to go without measured cells (a task-agnostic estimate, or one from task_features).")
    return cells


def write_cells(path: Path, observed, argument: str = "observed") -> Path:
    """Writes measured cells (a Series indexed by example id, or a dict) as an ``example,value`` CSV; NaNs are dropped.
    An example given twice is written twice, so the engine refuses it as the service does."""
    cells = as_cells(observed, argument)
    pd.DataFrame({"example": [id_text(i, argument) for i in cells.index], "value": cells.to_numpy()}).to_csv(path, index=False, float_format="%.17g")
    return path


def exclusion_args(path: Path, ids, argument: str = "exclude") -> list:
    """The engine's ``--exclude`` for a list of example ids, written as a one-column ``id`` CSV at ``path``; none for an empty
    list (the engine refuses a file that excludes nothing, while an empty list, as the service takes it, excludes nothing)."""
    ids = [id_text(i, argument) for i in as_id_list(ids, argument)]
    if not ids:
        return []
    pd.DataFrame({"id": ids}).to_csv(path, index=False)
    return ["--exclude", path]


# pandas' default missing-value words: read as NaN in a table's number columns, never in its id or group columns.
_NA_WORDS = ["", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN", "<NA>", "N/A", "NA",
             "NULL", "NaN", "n/a", "nan", "null"]
_TEXT_COLUMNS = ("example", "task", "id", "group", "method", "name")


def read_table(path: Path) -> pd.DataFrame:
    """Reads a table the engine wrote (per-example predictions, a replay set, a design, evaluate's predictions): ids and
    groups as text exactly as written ('NA' and 'null' are ids like any other; an empty group is no group, NaN), every
    other column as numbers (or booleans) with pandas' missing-value words read as NaN."""
    header = list(pd.read_csv(path, nrows=0, dtype=str, keep_default_na=False).columns)
    text = [c for c in header if c in _TEXT_COLUMNS]
    missing = {c: ([""] if c == "group" else []) for c in text}
    missing.update({c: _NA_WORDS for c in header if c not in text})
    # round_trip: pandas' default parser can be 1 ulp off the shortest repr the engine writes; the service client's JSON is exact.
    table = pd.read_csv(path, dtype={c: str for c in text}, keep_default_na=False, na_values=missing, float_precision="round_trip")
    # No rows (a replay of budget 0): the number columns are numbers still, not pandas' object columns of an empty file.
    return table.astype({c: np.float64 for c in header if c not in text}) if table.empty else table


# The values the engine (and the service) accept for the arguments that name a choice: checked before a call, so both
# refuse alike, naming the argument.
CHOICES: Dict[str, Tuple[str, ...]] = {
    "prior": ("empirical", "ridge"),
    "strategy": ("softmax", "topk", "stratified", "random"),
    "criterion": ("v-optimal", "d-optimal", "group-means", "neighbours"),
    "reveal": ("random", "active"),
    "reveal_rng": ("own", "numpy"),
    "active_criterion": ("v-optimal", "d-optimal", "group-means", "neighbours"),
}


def check_choice(argument: str, value) -> None:
    """Refuses a ``value`` of ``argument`` that is none of :data:`CHOICES` (None: the default)."""
    if value is not None and value not in CHOICES[argument]:
        raise InputError(f"{argument}={value!r} is not one of {', '.join(repr(c) for c in CHOICES[argument])}.")


def check_count(argument: str, value, what: str, least: int = 1) -> None:
    """Refuses a ``value`` of ``argument`` that is not a whole number of at least ``least`` (``top`` from 0, ``count`` from 1)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < least:
        raise InputError(f"{argument} must be a whole number of at least {least} (got {value!r}): {what}.")


def write_features(folder: Path, features, what: str, name: Optional[str] = None) -> List[Path]:
    """Writes task or example features for the engine's ``--task-features`` / ``--example-features``; returns the files.

    ``features`` is one item or a list of them, each:

    - a DataFrame: a table whose ids are its ``id`` column, else its index (a default RangeIndex numbers the rows 0..M-1,
      the ids of a matrix given without ids); numeric columns are used as given, text and categorical ones one-hot;
    - a Series: one entity's features (index: feature names), named ``name`` (or the Series' name);
    - a numpy array: an embedding, one row per entity in matrix order (a 1-D array is one entity's row);
    - a path (str or os.PathLike) to a CSV/TSV/Parquet table or a .npy/.npz matrix, passed through as is.
    """
    items = feature_items(features)
    if not items:
        raise InputError(f"{what}_features is empty: pass a DataFrame, an array or a file path (or a list of them).")
    paths: List[Path] = []
    for k, item in enumerate(items):
        if isinstance(item, (str, os.PathLike)):
            paths.append(Path(item))
            continue
        argument = f"{what}_features" if len(items) == 1 else f"{what}_features[{k}]"
        path = folder / feature_file_name(k, item, what)
        if isinstance(item, dict):  # one entity's row: feature name -> value
            item = pd.Series(item, dtype=object)
        if isinstance(item, pd.Series):
            label = item.name if name is None else name
            if label is None:
                raise InputError(f"a Series of {what} features needs a name: pass {what}_name=... (or name the Series).")
            item = pd.DataFrame([item.to_numpy()], columns=item.index, index=pd.Index([id_text(label)], name="id")).infer_objects()
        if isinstance(item, pd.DataFrame):
            paths.append(write_metadata(path, item, argument, features=True))
            continue
        values = np.asarray(item) if not np.ma.isMaskedArray(item) else item
        if values.dtype.kind not in "fiub":
            raise InputError(f"{argument} must be a DataFrame, a dict of feature values, a numeric array or a file path; got an "
                             f"array of {values.dtype}.")
        values = array_values(values, argument).astype(np.float64)  # a masked cell is missing (NaN), which the engine refuses naming it
        if values.ndim == 1:
            values = values.reshape(1, -1)
        if values.ndim != 2:
            raise InputError(f"a {what} embedding is 2-D (one row per {what}); {argument} has shape {values.shape}.")
        np.save(path, values)
        paths.append(path)
    return paths


def feature_items(features) -> list:
    """The parts of ``task_features`` / ``example_features``: a list or tuple of them; a dict of file names to parts (the
    service's form; locally the parts in the order given); else the one item (a dict of feature values is one row)."""
    if isinstance(features, (list, tuple)):
        return list(features)
    if isinstance(features, dict) and features and all(_is_part(v) for v in features.values()):
        return list(features.values())
    return [features]


def _is_part(value) -> bool:
    return isinstance(value, (dict, pd.Series, pd.DataFrame, list, tuple, str, os.PathLike)) or np.ndim(value) > 0


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


def not_task_features(features) -> InputError:
    """The refusal of a ``task_features`` that is none of the forms a query takes (a number, None, an empty list)."""
    return InputError(f"task_features={features!r} is not the new task's features: give a dict of its settings "
                      "({'lr': 0.001, 'family': 'web'}), a one-row DataFrame, a Series, an embedding (a 1-D array), "
                      "or a list of those in the order given to fit.")


def single_task_name(features, task_name: Optional[str]) -> Optional[str]:
    """The new task's name for a query with features: ``task_name``, else the id of a one-row DataFrame or a Series' name
    (``new-task`` when the features are arrays only, whose rows are read by position)."""
    if task_name is not None or features is None:
        return None if task_name is None else id_text(task_name, "task_name")
    items = feature_items(features)
    parts = (np.ndarray, dict, list, tuple, pd.Series, pd.DataFrame, str, os.PathLike)
    if not items or any(not isinstance(item, parts) or (isinstance(item, (list, tuple)) and any(v is None for v in item)) for item in items):
        raise not_task_features(features)
    for item in items:
        if isinstance(item, pd.Series) and item.name is not None:
            return id_text(item.name, "task_features")
        if isinstance(item, pd.DataFrame) and len(item) == 1 and not isinstance(item.index, pd.RangeIndex):
            return id_text(item.index[0] if "id" not in item.columns else item["id"].iloc[0], "task_features")
    if all(isinstance(item, (np.ndarray, dict, list, tuple)) for item in items):
        return "new-task"  # an embedding's rows are matched by position, a dict is the one row: any name reads them
    raise InputError("task_features needs task_name: the id of the new task's row in the features.")
