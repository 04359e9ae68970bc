"""A client of the query service (``forgetpredict serve``) with the calls of the local API."""
from __future__ import annotations

import json
import os
import socket
import tempfile
import time
import http.client
import urllib.error
import urllib.parse
import urllib.request
import uuid
import warnings
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import numpy as np
import pandas as pd

from . import _engine, _io
from ._engine import EngineError, EngineWarning, InputError, service_words
from ._model import Prediction, groups_html


class ServiceError(EngineError):
    """The service refused the request; ``message`` is its problem detail, ``status`` the HTTP status."""

    def __init__(self, message: str, status: Optional[int]) -> None:
        super().__init__(message, None)
        self.status = status


class ServiceUnavailable(ServiceError):
    """The service could not be reached, or did not answer in time; ``message`` names the URL and the fix, ``status`` is
    None and ``reason`` the underlying error (connection refused, timeout, ...)."""

    def __init__(self, message: str, reason: BaseException) -> None:
        super().__init__(message, None)
        self.reason = reason


class Client:
    """The query service at ``url`` (e.g. ``http://127.0.0.1:5080``).

    ``api_key``: the key of the service's ``--api-key-file`` (sent as a bearer token), None for a service without one.
    ``timeout``: the seconds to wait for each answer before :class:`ServiceUnavailable`. ``close()`` (or a ``with`` block)
    ends the client."""

    def __init__(self, url: str, api_key: Optional[str] = None, timeout: float = 60.0) -> None:
        self.url = url.rstrip("/")
        self.api_key = api_key
        self.timeout = timeout
        self._closed = False

    def __repr__(self) -> str:
        return f"<forgetpredict.Client {self.url}{' (closed)' if self._closed else ''}>"

    def close(self) -> None:
        """Ends the client: it holds no open connection (each call opens and closes its own), so nothing is left open, and
        later calls are refused. Closing again does nothing; ``with fp.Client(url) as c:`` closes it at the end of the block."""
        self._closed = True

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def healthy(self) -> bool:
        """True when the service answers ``/healthz``."""
        try:
            return self._request("GET", "/healthz").get("status") == "ok"
        except (OSError, EngineError):
            return False

    def models(self) -> pd.DataFrame:
        """The store's models: one row per name (method, task_count, example_count, rank, r2, group_columns, ...; ``error``:
        why a file in the store cannot be served, a damaged or foreign file, else None)."""
        models = self._request("GET", "/v1/models")["models"]
        fields = {"name": "name", "method": "method", "taskCount": "task_count", "exampleCount": "example_count", "rank": "rank",
                  "r2": "r2", "groupColumns": "group_columns", "error": "error"}
        return pd.DataFrame([{c: m.get(f) for f, c in fields.items()} for m in models], columns=list(fields.values())).set_index("name")

    def model(self, name: str) -> "RemoteModel":
        """A model of the store by name."""
        return RemoteModel(self, name, self._request("GET", f"/v1/models/{urllib.parse.quote(name, safe='')}"))

    def fit(self, z: _io.MatrixLike, method: Optional[str] = None, *, name: str, rank: Optional[int] = None,
            lam: Optional[float] = None, seed: Optional[int] = None, tasks: Optional[Sequence] = None, examples=None,
            task_features=None, example_features=None, known: Optional[int] = None, overwrite: bool = False, progress: bool = True,
            poll: float = 0.2) -> "RemoteModel":
        """Uploads ``z`` (array or DataFrame, as :func:`forgetpredict.fit`), fits it in the service and waits for the model.

        ``task_features`` as in :func:`forgetpredict.fit` (a DataFrame with task ids in its ``id`` column or index, a numpy
        embedding in matrix order, a file path, or a list of them): uploaded as the service's ``taskFeatures`` files, so the
        model answers :meth:`RemoteModel.predict` with ``task_features`` (cold start) as the local model does.
        ``example_features`` (the same forms, keyed by example id: e.g. source and base loss, an embedding with one row per
        example): uploaded as ``exampleFeatures`` files, so the model predicts new examples from their features
        (:meth:`RemoteModel.predict` with ``new_examples``). ``known``: the cells you will measure per new task, which
        ``"auto"`` (the default) and ``"ensemble"`` tune for (default: the engine's).
        """
        metadata, ids = _io.example_metadata(z, examples)
        kind = _io.example_id_kind(z, ids)
        fields = {"name": name, "overwrite": "true" if overwrite else "false"}
        for key, value in (("method", method), ("rank", rank), ("lambda", lam), ("seed", seed), ("known", known)):
            if value is not None:
                fields[key] = str(value)
        with tempfile.TemporaryDirectory(prefix="forgetpredict-") as folder:
            # The file's name records the ids' kind in the model (its source), so model(name) gives them back alike.
            files = [("file", _io.write_matrix(Path(folder) / _io.matrix_file_name(kind), z, tasks, ids))]
            if metadata is not None:
                files.append(("examples", _io.write_metadata(Path(folder) / "examples.csv", metadata)))
            if task_features is not None:
                files += [("taskFeatures", path) for path in _io.write_features(Path(folder), task_features, "task")]
            if example_features is not None:
                files += [("exampleFeatures", path) for path in _io.write_features(Path(folder), example_features, "example")]
            job = self._upload("/v1/models", fields, files)
        line = _engine._ProgressLine() if progress else None
        try:
            while job["state"] not in ("succeeded", "failed"):
                if line is not None:
                    line.update(_engine.describe_progress({"stage": job.get("stage"), "fraction": job.get("progress"), "detail": name}))
                time.sleep(poll)
                job = self._request("GET", f"/v1/jobs/{job['id']}")
        except KeyboardInterrupt:
            # Interrupted (Ctrl+C, or Jupyter's stop button) while the service fits: the fit is cancelled there too, as an
            # interrupted local fit stops its engine, instead of running on and replacing the model later.
            self._cancel(job["id"])
            raise
        finally:
            if line is not None:
                line.close()
        if job["state"] == "failed":
            # The job names the matrix by the file the package uploaded ("z.npz: the matrix has 0 tasks ..."): as fp.fit
            # names it, by the argument.
            raise ServiceError(service_words(_engine.matrix_words(job.get("error") or "the fit failed")), 422)
        _warn(job)  # what the fit said about the matrix, as fp.fit warns
        return self.model(name)

    def _cancel(self, job_id: str) -> None:
        """Asks the service to cancel fit job ``job_id`` (DELETE /v1/jobs/ID); a service that cannot be reached is left as it is."""
        try:
            self._request("DELETE", f"/v1/jobs/{urllib.parse.quote(job_id, safe='')}")
        except ServiceError:
            pass

    def _request(self, method: str, path: str, body: Optional[dict] = None, accept: str = "application/json"):
        data = None if body is None else _json(body).encode("utf-8")
        headers = {"Accept": accept}
        if data is not None:
            headers["Content-Type"] = "application/json"
        return self._send(urllib.request.Request(self.url + path, data=data, method=method, headers=headers))

    def _upload(self, path: str, fields: Dict[str, str], files: List[Tuple[str, Path]]):
        boundary = uuid.uuid4().hex
        parts: List[bytes] = []
        for key, value in fields.items():
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode("utf-8"))
        for key, file in files:  # a field may repeat (taskFeatures, exampleFeatures: one part per file)
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"; filename="{_quoted(file.name)}"\r\n'
                         f"Content-Type: application/octet-stream\r\n\r\n".encode("utf-8") + file.read_bytes() + b"\r\n")
        parts.append(f"--{boundary}--\r\n".encode("utf-8"))
        request = urllib.request.Request(self.url + path, data=b"".join(parts), method="POST",
                                         headers={"Content-Type": f"multipart/form-data; boundary={boundary}", "Accept": "application/json"})
        return self._send(request)

    def _send(self, request: urllib.request.Request):
        if self._closed:
            raise InputError(f"this client of {self.url} is closed (close(), or the end of its with block); make a new fp.Client(url).")
        if self.api_key is not None:
            request.add_header("Authorization", f"Bearer {self.api_key}")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                raw = response.read()
                status = response.status
            try:
                return json.loads(raw.decode("utf-8"))
            except ValueError:
                raise ServiceError(f"{self.url} answered {request.get_method()} {request.full_url} with something that is not JSON "
                                   f"({raw[:60]!r}); is it a forgetpredict service? Check the URL given to fp.Client.", status) from None
        except urllib.error.HTTPError as e:
            raw = e.read().decode("utf-8", errors="replace")
            try:
                detail = json.loads(raw).get("detail") or raw
            except (ValueError, AttributeError):
                detail = raw.strip() or e.reason
            raise ServiceError(service_words(str(detail)), e.code) from None
        except (urllib.error.URLError, OSError, http.client.HTTPException) as e:
            raise self._unreachable(request, e) from e

    def _unreachable(self, request: urllib.request.Request, error: BaseException) -> ServiceUnavailable:
        """The connection failure as the package's error: what happened, where, and what to do."""
        reason = error.reason if isinstance(error, urllib.error.URLError) else error
        where = f"{request.get_method()} {request.full_url}"
        if isinstance(reason, (socket.timeout, TimeoutError)):
            return ServiceUnavailable(f"the service at {self.url} did not answer {where} within {self.timeout:g} s; it may be busy "
                                      "(a large fit or upload): give Client(..., timeout=SECONDS) more time, or check the server.", reason)
        text = getattr(reason, "strerror", None) or str(reason) or type(reason).__name__
        return ServiceUnavailable(f"could not reach the forgetpredict service at {self.url} ({where}: {text}); check the URL given "
                                  "to fp.Client and that 'forgetpredict serve' is running and listening there (--urls).", reason)


class RemoteModel:
    """A model served by the query service: ``predict``, ``replay`` and ``design`` as on a local :class:`forgetpredict.Model`."""

    def __init__(self, client: Client, name: str, info: dict) -> None:
        self.client = client
        self.name = name
        self.info = info
        # The kind the example ids went in as, which Client.fit records in the upload's file name (the model's source):
        # answers give them back as such, as locally; text for a model uploaded otherwise.
        self._id_kind = _io.kind_of_source(info.get("source")) or "text"

    def __repr__(self) -> str:
        return f"<forgetpredict.RemoteModel {self.name}: {self.info.get('method')} {self.info.get('taskCount')} x {self.info.get('exampleCount')}>"

    def predict(self, observed=None, *, group_by: Optional[str] = None, top: Optional[int] = None, threshold: Optional[float] = None,
                prior: Optional[str] = None, by_index: bool = False, task_features=None, new_examples=None) -> Prediction:
        """What the fine-tune will erase. ``examples`` holds the ``top`` most forgotten examples (the service answers with those).

        ``by_index=True`` reads the examples of ``observed`` as column positions 0..N-1 instead of example ids.
        ``task_features`` (a model fitted with task features) gives the new task's features: a dict or a pandas Series of
        column to value (``{"lr": 1e-3, "steps": 600, "family": "web"}``), a one-row DataFrame, an embedding (list or 1-D
        array), or a dict of the model's file names to those (``{"tasks.csv": {...}, "task_emb.npy": emb}``). With no
        ``observed`` cells the row is predicted from the features alone (cold start).
        ``new_examples`` (a model fitted with ``example_features``) gives upstream examples the model has never measured,
        by their features in the forms given to :meth:`Client.fit`: a DataFrame indexed by the new examples' ids (or with
        an ``id`` column), an embedding (a 2-D array, one row per new example in the order of the first part's ids, or a
        dict of id to vector), a list of them in the order given to ``fit``, or a dict of the model's file names to them.
        They come back as ``cold_examples`` (predicted, std, probability, cold), predicted from their features; with
        ``group_by``, a group's ``top_examples`` may hold them beside the model's examples, and ``top_new`` (the answer's
        ``topNew``) says which frame holds each id (:class:`Prediction`).
        """
        if top is not None:  # None: the engine's default
            _io.check_count("top", top, "how many of the most forgotten examples to list (0: none)", least=0)
        _io.check_choice("prior", prior)
        body = {"observed": _cells(observed), "chart": True, "byIndex": by_index}
        if task_features is not None:
            body["taskFeatures"] = _task_features(task_features)
        if new_examples is not None:
            body["newExamples"] = _new_examples(new_examples)
        for key, value in (("top", top), ("groupBy", group_by), ("threshold", threshold), ("prior", prior)):
            if value is not None:
                body[key] = value
        answer = self.client._request("POST", f"/v1/models/{urllib.parse.quote(self.name, safe='')}/predict", body)
        said = _warn(answer)  # as the local predict warns
        examples = pd.DataFrame(answer["top"], columns=["id", "predicted", "std", "probability", "rank", "group"]).rename(columns={"id": "example"}).set_index("example")
        examples.index = _io.typed_ids(examples.index, self._id_kind)
        if not answer.get("groupBy"):  # no groups: no group column, as locally
            examples = examples.drop(columns="group")
        summary = {
            "threshold": answer["threshold"], "threshold_rule": answer.get("thresholdRule"), "expected_forgotten": answer["expectedForgotten"], "example_count": answer["exampleCount"],
            "known_count": answer["knownCount"], "task_agnostic": answer["taskAgnostic"], "from_task_features": answer.get("fromTaskFeatures", False),
            "group_by": answer.get("groupBy"),
            "groups": [{"name": g["name"], "count": g["count"], "new_count": g.get("newCount", 0), "mean": g["mean"], "lower": g["lower"], "upper": g["upper"],
                        "share": g["share"], "top_examples": g["topExamples"], "top_new": g.get("topNew")} for g in answer["groups"]],
            "warnings": said,
        }
        grouped = ["group"] if answer.get("groupBy") else []  # the new examples' groups, as locally
        cold = pd.DataFrame(answer.get("coldExamples") or [], columns=["id", "predicted", "std", "probability", *grouped, "cold"]).rename(columns={"id": "example"}).set_index("example")
        prediction = Prediction(examples, summary, "", cold_examples=cold, id_kind=self._id_kind)
        prediction.html = groups_html(answer["description"], prediction.groups, answer.get("chartSvg"))
        return prediction

    def replay(self, observed=None, *, budget: Optional[int] = None, ratio: Optional[int] = None,
               task_size: Optional[int] = None, strategy: Optional[str] = None, temperature: Optional[float] = None,
               min_per_group: Optional[int] = None, exclude: Optional[Iterable] = None, group_by: Optional[str] = None,
               seed: Optional[int] = None, prior: Optional[str] = None, by_index: bool = False, task_features=None) -> pd.DataFrame:
        """A replay set: a DataFrame (example, weight, predicted, group) as :meth:`forgetpredict.Model.replay` returns.

        ``observed``, ``group_by``, ``prior``: as in :meth:`forgetpredict.Model.predict`. How many to replay: ``budget`` (a number of examples), or
        ``ratio`` with ``task_size`` (one upstream example per ``ratio`` examples of a fine-tuning task of ``task_size``
        examples). ``strategy``: ``"softmax"`` (sampled without replacement with probability softmax(predicted /
        ``temperature``), ``temperature`` in the units of the predictions), ``"topk"``, ``"stratified"`` (every group keeps
        ``min_per_group`` examples) or ``"random"`` (the baseline). ``exclude``: example ids never to replay (e.g. a held-out
        evaluation set). ``seed``: the seed of the random strategies. Each left out (None) takes the engine's default.
        ``weight``: as locally, an example's probability of being drawn first (no inclusion probability).
        ``by_index=True`` reads the examples of ``observed`` and ``exclude`` as column positions 0..N-1, not ids.
        ``task_features`` as in :meth:`predict`.
        """
        _io.check_choice("strategy", strategy)
        _io.check_choice("prior", prior)
        body = {"observed": _cells(observed), "byIndex": by_index}
        if task_features is not None:
            body["taskFeatures"] = _task_features(task_features)
        settings = _io.replay_settings(budget, ratio, task_size, temperature, min_per_group, seed)  # as the local engine gets them
        for name, value in settings.items():
            body[{"task_size": "taskSize", "min_per_group": "minPerGroup"}.get(name, name)] = value
        for key, value in (("strategy", strategy), ("groupBy", group_by), ("prior", prior)):
            if value is not None:
                body[key] = value
        if exclude is not None:
            body["exclude"] = _exclude(exclude)
        answer = self.client._request("POST", f"/v1/models/{urllib.parse.quote(self.name, safe='')}/replay", body)
        _warn(answer)
        table = pd.DataFrame(answer["items"], columns=["example", "weight", "predicted", "group"]).astype({"weight": np.float64, "predicted": np.float64})
        table["example"] = _io.typed_ids(table["example"], self._id_kind).to_numpy()
        return table


    def design(self, count: Optional[int] = None, *, criterion: Optional[str] = None, group_by: Optional[str] = None, observed=None,
               exclude: Optional[Iterable] = None, by_index: bool = False) -> pd.DataFrame:
        """Which examples a new task should measure: the DataFrame :meth:`forgetpredict.Model.design` returns, from the service.

        ``count``, ``criterion``, ``group_by``, ``observed``, ``exclude`` and ``by_index`` as in :meth:`forgetpredict.Model.design`.
        """
        if count is not None:  # None: the engine's default
            _io.check_count("count", count, "how many examples to measure")
        _io.check_choice("criterion", criterion)
        body = {"observed": _cells(observed), "byIndex": by_index}
        for key, value in (("count", count), ("criterion", criterion), ("groupBy", group_by)):
            if value is not None:
                body[key] = value
        if exclude is not None:
            body["exclude"] = _exclude(exclude)
        answer = self.client._request("POST", f"/v1/models/{urllib.parse.quote(self.name, safe='')}/design", body)
        _warn(answer)  # as the local design warns
        table = pd.DataFrame(answer["examples"], columns=["example", "order", "group"]).set_index("example")
        table.index = _io.typed_ids(table.index, self._id_kind)
        return table if answer.get("groupBy") else table.drop(columns="group")


def _warn(answer: Dict) -> List[str]:
    """Raises the service's ``warnings`` as ``EngineWarning`` at the caller of the public method (as the local engine's are),
    in the Python arguments' words; returns them."""
    said = [service_words(w) for w in answer.get("warnings") or []]
    for warning in said:
        warnings.warn(warning, EngineWarning, stacklevel=3)
    return said


class _Cells(list):
    """Measured cells as (example id, value) pairs, sent as a JSON object in their order with repeats kept: the service
    refuses an example measured twice, naming it, as the engine does locally (a dict would keep the last silently)."""


def _json(body: dict) -> str:
    """The request body as JSON: numpy numbers as plain ones; NaN and infinity refused (JSON has neither)."""
    def plain(value):
        if isinstance(value, np.generic):
            return value.item()
        raise TypeError(f"a {type(value).__name__} cannot be sent to the service; give numbers, strings, lists or dicts")
    given = body
    try:
        cells = {}
        for key, value in list(body.items()):
            if isinstance(value, _Cells):  # written by hand: json.dumps has no object with repeated keys
                marker = f"__forgetpredict_cells_{uuid.uuid4().hex}__"
                cells[json.dumps(marker)] = "{" + ", ".join(f"{json.dumps(k)}: {json.dumps(v, allow_nan=False)}" for k, v in value) + "}"
                body = {**body, key: marker}
        text = json.dumps(body, default=plain, allow_nan=False)
        for marker, written in cells.items():
            text = text.replace(marker, written)
        return text
    except ValueError:
        bad = [key for key, value in _leaves(given) if isinstance(value, float) and not np.isfinite(value)]
        raise InputError(f"{bad[0] if bad else 'a value'} is NaN or infinite; the service takes finite numbers only "
                         "(drop unmeasured cells, or give the value)") from None


def _leaves(value, path: str = ""):
    """(path, value) of every number or string in a request body, e.g. ("observed['e3']", inf)."""
    if isinstance(value, _Cells):
        for key, item in value:
            yield from _leaves(item, f"{path}[{key!r}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, f"{path}[{key!r}]" if path else str(key))
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            yield from _leaves(item, f"{path}[{i}]")
    else:
        yield path, value.item() if isinstance(value, np.generic) else value


def _cells(observed) -> "_Cells":
    """The ``observed`` field: the cells as the local package writes them (ids as the engine reads them, NaNs dropped)."""
    if observed is None:
        return _Cells()
    return _Cells((_io.id_text(k, "observed"), float(v)) for k, v in _io.as_cells(observed).items())


def _exclude(exclude) -> List[str]:
    """The ``exclude`` field: ids as the engine reads them (one id alone is a list of one)."""
    return [_io.id_text(e, "exclude") for e in _io.as_id_list(exclude, "exclude")]


def _quoted(name: str) -> str:
    """A file name inside a quoted multipart header, escaped as browsers do (WHATWG: ``"``, CR and LF percent-encoded)."""
    return name.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


def _task_features(features):
    """The ``taskFeatures`` field: a row (dict, Series, one-row DataFrame), an embedding, a dict of file name to those, or a
    list of rows and embeddings in the order given to :meth:`Client.fit` (named as it names their files)."""
    if features is None or isinstance(features, (int, float, complex, np.number, bool, np.bool_)) \
            or isinstance(features, (list, tuple)) and (not features or any(v is None for v in features)):
        raise _io.not_task_features(features)
    if isinstance(features, (str, os.PathLike)):
        raise InputError(f"task_features: a query sends the new task's features, not a file ({features}); give its row as a dict "
                         "or a one-row DataFrame (e.g. pd.read_csv(path).set_index('task').loc[['my-task']]) or its embedding.")
    if isinstance(features, (list, tuple)) and any(isinstance(f, (str, os.PathLike, dict, pd.Series, pd.DataFrame, list, tuple, np.ndarray)) for f in features):
        return {_io.feature_file_name(k, part, "task"): _task_features(part) for k, part in enumerate(features)}
    if isinstance(features, pd.DataFrame):
        if len(features) != 1:
            raise InputError(f"task_features: a DataFrame must have one row (the new task), not {len(features)}; select it, e.g. frame.loc[['my-task']].")
        features = features.iloc[0]
    if isinstance(features, pd.Series):
        features = features.to_dict()
    if isinstance(features, dict):
        nested = [isinstance(v, (dict, pd.Series, pd.DataFrame, list, tuple)) or getattr(v, "ndim", 0) > 0 for v in features.values()]
        if features and all(nested):
            return {str(name): _task_features(part) for name, part in features.items()}
        return {str(k): _feature_value(v) for k, v in features.items()}
    return [float(x) for x in _io.array_values(features, "task_features").ravel()]


def _new_examples(features):
    """The ``newExamples`` field: parts named as :meth:`Client.fit` names the files of ``example_features`` (a list: by
    position; a dict: by the given file names), each a table's rows with their ids or embeddings by id."""
    if isinstance(features, dict) and features and all(isinstance(v, (pd.DataFrame, np.ndarray, dict, list, tuple)) for v in features.values()) \
            and not all(np.ndim(v) == 1 for v in features.values()):
        named = list(features.items())
    else:
        items = list(features) if isinstance(features, (list, tuple)) else [features]
        named = [(_io.feature_file_name(k, part, "example"), part) for k, part in enumerate(items)]
    parts, ids = {}, None
    for name, part in named:
        if isinstance(part, (str, os.PathLike)):
            raise InputError(f"new_examples: a query sends the new examples' features, not a file ({part}); read it first, "
                             "e.g. pd.read_csv(path, dtype={'id': str}).set_index('id').")
        if isinstance(part, pd.DataFrame):
            frame = part.set_index("id") if "id" in part.columns else part
            ids = ids if ids is not None else [_io.id_text(i, "new_examples") for i in frame.index]
            # A missing value is left out, so the service names the example and column that lack one.
            parts[str(name)] = [{"id": _io.id_text(i, "new_examples"), **{str(c): _feature_value(v, "new_examples") for c, v in row.items() if isinstance(v, str) or not pd.isna(v)}}
                                for i, row in frame.iterrows()]
        elif isinstance(part, dict):
            ids = ids if ids is not None else [_io.id_text(i, "new_examples") for i in part]
            parts[str(name)] = {_io.id_text(i, "new_examples"): [float(x) for x in _io.array_values(v, "new_examples").ravel()] for i, v in part.items()}
        else:
            rows = _io.array_values(part, "new_examples").astype(float)
            rows = rows.reshape(1, -1) if rows.ndim == 1 else rows
            if ids is None or len(ids) != len(rows):
                raise InputError(f"new_examples: the embedding {name} has {len(rows)} rows, but its ids come from a table before it "
                                 f"({'none given' if ids is None else f'{len(ids)} ids'}); put the table first, or give the embedding as a dict of id to vector.")
            parts[str(name)] = {i: [float(x) for x in row] for i, row in zip(ids, rows)}
    return parts


def _feature_value(value, field: str = "task_features"):
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, np.bool_)):
        raise InputError(f"{field}: {value!r} is neither a number nor a category; give a number or a string.")
    return float(value)
