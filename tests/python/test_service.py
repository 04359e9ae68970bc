"""forgetpredict.Client against a real `forgetpredict serve` on loopback: the same calls as the local API, same answers."""
import json
import os
import shlex
import socket
import subprocess
import tempfile
import time
import unittest
import warnings
from pathlib import Path
from unittest import mock

import numpy as np
import pandas as pd

import forgetpredict as fp
from test_features import assert_top_lists_are_found
from test_local import planted


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServiceTests(unittest.TestCase):
    KEY = "test-key-123"

    @classmethod
    def setUpClass(cls):
        cls.folder = tempfile.TemporaryDirectory(prefix="fp-serve-")
        store = os.path.join(cls.folder.name, "store")
        os.makedirs(store)
        key_file = os.path.join(cls.folder.name, "key")
        with open(key_file, "w") as f:
            f.write(cls.KEY + "\n")
        port = free_port()
        cls.url = f"http://127.0.0.1:{port}"
        cls.log = open(os.path.join(cls.folder.name, "serve.log"), "w+")
        cls.server = subprocess.Popen(fp.find_engine() + ["serve", "--store", store, "--urls", cls.url, "--api-key-file", key_file],
                                      stdout=cls.log, stderr=subprocess.STDOUT)
        cls.client = fp.Client(cls.url, api_key=cls.KEY)
        deadline = time.monotonic() + 60
        while not cls.client.healthy():
            if cls.server.poll() is not None or time.monotonic() > deadline:
                cls.log.seek(0)
                log = cls.log.read()
                cls.tearDownClass()
                raise RuntimeError(f"serve did not answer /healthz within 60 s: {log}")
            time.sleep(0.2)
        z, group = planted()
        cls.ids = [f"ex/{j}" for j in range(z.shape[1])]
        cls.frame = pd.DataFrame(z, index=[f"task-{i}" for i in range(z.shape[0])], columns=cls.ids)
        cls.frame.iloc[3, 7] = np.nan
        cls.meta = pd.DataFrame({"source": np.array(["alpha", "beta", "gamma"])[group]}, index=cls.ids)
        cls.remote = cls.client.fit(cls.frame.iloc[1:], method="mf", seed=0, name="planted", examples=cls.meta, progress=False)
        cls.local = fp.fit(cls.frame.iloc[1:], method="mf", seed=0, examples=cls.meta, progress=False)
        row = cls.frame.iloc[0]
        cls.observed = row.iloc[np.random.default_rng(1).choice(len(row), 30, replace=False)]

    @classmethod
    def tearDownClass(cls):
        cls.server.terminate()
        try:
            cls.server.wait(10)
        except subprocess.TimeoutExpired:
            cls.server.kill()
            cls.server.wait()
        cls.log.close()
        if hasattr(cls, "local"):
            cls.local.close()
        cls.folder.cleanup()

    def test_models_lists_the_uploaded_model(self):
        models = self.client.models()
        self.assertIn("planted", models.index)
        self.assertEqual(list(models.columns), ["method", "task_count", "example_count", "rank", "r2", "group_columns", "error"])
        self.assertEqual(models.loc["planted", "task_count"], len(self.frame) - 1)
        self.assertEqual(models.loc["planted", "example_count"], len(self.ids))
        self.assertEqual(models.loc["planted", "group_columns"], ["source"])
        self.assertIsNone(models.loc["planted", "error"])
        # A file in the store that cannot be served is listed with the reason.
        broken = os.path.join(self.folder.name, "store", "broken.fpm")
        with open(broken, "wb") as f:
            f.write(b"not a model")
        try:
            error = self.client.models().loc["broken", "error"]
        finally:
            os.remove(broken)
        self.assertIsInstance(error, str)
        self.assertGreater(len(error), 10)

    def test_predict_matches_the_local_engine(self):
        remote = self.remote.predict(self.observed, group_by="source", top=10)
        local = self.local.predict(self.observed, group_by="source", progress=False)
        # Shares come from the service's single-precision row scan: equal to 2e-7 (as the C# ForecasterTests hold them).
        pd.testing.assert_frame_equal(remote.groups.drop(columns="share"), local.groups.drop(columns="share"), check_exact=False, rtol=1e-9)
        np.testing.assert_allclose(remote.groups["share"], local.groups["share"], atol=2e-7)
        self.assertEqual(remote.threshold, local.threshold)
        self.assertEqual(remote.threshold_rule, local.threshold_rule)
        self.assertTrue(remote.threshold_rule.startswith("the default"), remote.threshold_rule)
        top = local.examples.sort_values("rank").head(10)
        self.assertEqual(list(remote.examples.index), list(top.index))
        np.testing.assert_allclose(remote.examples["predicted"], top["predicted"], rtol=1e-9)
        self.assertIn("<svg", remote._repr_html_())

    def test_replay_matches_the_local_engine(self):
        remote = self.remote.replay(self.observed, budget=15, strategy="topk", exclude=self.ids[:3])
        local = self.local.replay(self.observed, budget=15, strategy="topk", exclude=self.ids[:3], progress=False)
        self.assertEqual(list(remote["example"]), list(local["example"]))
        np.testing.assert_allclose(remote["predicted"], local["predicted"], rtol=1e-9)
        pd.testing.assert_series_equal(self.remote.replay(budget=0).dtypes, remote.dtypes)  # none chosen: the same column types

    def test_replay_arguments_reach_the_service_as_they_reach_the_local_engine(self):
        # QA: np.float32(0.1) made the weights differ in the 9th digit; budget="10" was refused here only; a set of ids to
        # exclude was sent as one id.
        excluded = set(self.ids[:3])
        remote = self.remote.replay(self.observed, budget=np.int64(12), temperature=np.float32(0.1), seed=2, exclude=excluded)
        local = self.local.replay(self.observed, budget=12, temperature=0.1, seed=2, exclude=self.ids[:3], progress=False)
        self.assertEqual(list(remote["example"]), list(local["example"]))
        np.testing.assert_allclose(remote["weight"], local["weight"], rtol=1e-12)
        self.assertTrue(excluded.isdisjoint(remote["example"]))
        for budget in ("10", 2.5):
            with self.subTest(budget=budget), self.assertRaises(ValueError) as caught:
                self.remote.replay(self.observed, budget=budget)
            self.assertIn(f"budget={budget!r} is not a whole number", str(caught.exception))

    def test_numpy_numbers_dataframes_and_non_finite_values(self):
        frame = pd.DataFrame({"example": self.observed.index, "value": self.observed.to_numpy()})
        a = self.remote.predict(frame, top=np.int64(5), threshold=np.float32(0.5))
        b = self.remote.predict(self.observed, top=5, threshold=0.5)
        pd.testing.assert_frame_equal(a.examples, b.examples)
        with self.assertRaises(ValueError) as caught:
            self.remote.predict({self.ids[0]: float("inf")})
        self.assertIn(f"observed['{self.ids[0]}'] is NaN or infinite", str(caught.exception))
        with self.assertWarns(fp.EngineWarning) as warned:
            chosen = self.remote.replay(self.observed, budget=np.int64(5000))
        self.assertEqual(len(chosen), len(self.ids))
        self.assertIn("the budget of 5,000 is above the", str(warned.warning))

    def test_design_matches_the_local_engine(self):
        # An excluded id the model does not have is ignored with the same warning here as from the engine.
        for model in (self.remote, self.local):
            with self.assertWarnsRegex(fp.EngineWarning, "1 of its 2 .* name no example, so they are ignored: example 'no-such' is not one of the model's"):
                model.design(3, exclude=[self.ids[0], "no-such"], **({} if model is self.remote else {"progress": False}))
        remote = self.remote.design(8, criterion="group-means", group_by="source", exclude=self.ids[:3], observed=self.observed[:2])
        local = self.local.design(8, criterion="group-means", group_by="source", exclude=self.ids[:3], observed=self.observed[:2], progress=False)
        pd.testing.assert_frame_equal(remote, local, check_dtype=False)
        pd.testing.assert_frame_equal(self.remote.design(5), self.local.design(5, progress=False), check_dtype=False)

    def test_by_index_reads_column_positions(self):
        cells = pd.Series(self.observed.values, index=[self.ids.index(i) for i in self.observed.index])
        with self.assertRaises(fp.ServiceError) as caught:
            self.remote.predict(cells)
        self.assertIn('pass by_index=True', caught.exception.message)
        by_index = self.remote.predict(cells, by_index=True, top=10)
        self.assertEqual(list(by_index.examples.index), list(self.remote.predict(self.observed, top=10).examples.index))

    def test_service_errors_carry_the_problem_detail(self):
        with self.assertRaises(fp.ServiceError) as caught:
            self.remote.predict({"no-such-example": 0.2})
        self.assertEqual(caught.exception.status, 400)
        self.assertIn("no-such-example", caught.exception.message)
        with self.assertRaises(fp.EngineError):
            self.client.model("no-such-model")
        # A name taken: the service's form field (overwrite=true) is named as the client's argument.
        with self.assertRaises(fp.ServiceError) as taken:
            self.client.fit(self.frame, method="additive", name="gaps-taken", progress=False, overwrite=True)
            self.client.fit(self.frame, method="additive", name="gaps-taken", progress=False)
        self.assertEqual(taken.exception.status, 409)
        self.assertIn("overwrite=True to replace it", taken.exception.message)

    def test_wrong_key_is_refused(self):
        with self.assertRaises(fp.ServiceError) as caught:
            fp.Client(self.url, api_key="wrong").models()
        self.assertEqual(caught.exception.status, 401)

    def test_task_features_as_a_dict_series_or_one_row_frame_give_the_engines_cold_start(self):
        # A model of the bundled charlm-d fitted by the engine with task settings, straight into the store.
        data = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "data", "charlm-d")
        work = os.path.join(self.folder.name, "features")
        os.makedirs(work, exist_ok=True)
        store_model = os.path.join(self.folder.name, "store", "d.fpm")
        subprocess.run(fp.find_engine() + ["fit", os.path.join(data, "z.npy"), "--method", "mf", "--rank", "3", "--out", store_model,
                                           "--task-features", os.path.join(data, "tasks.csv")], check=True, capture_output=True)
        model = self.client.model("d")
        settings = {"family": "web", "lr": 0.001, "steps": 600}
        answers = [model.predict(task_features=f, top=10) for f in
                   (settings, pd.Series(settings), pd.DataFrame([settings], index=["new"]), {"tasks.csv": settings})]
        for answer in answers[1:]:
            pd.testing.assert_frame_equal(answer.examples, answers[0].examples)
        self.assertEqual(answers[0].summary["known_count"], 0)

        # The engine's own cold start from the same settings in a file: the same examples and numbers.
        with open(os.path.join(work, "new.csv"), "w") as f:
            f.write("task,family,lr,steps\nnew,web,0.001,600\n")
        subprocess.run(fp.find_engine() + ["predict", "--model", store_model, "--task-features", os.path.join(work, "new.csv"), "--task-name", "new",
                                           "--top", "10", "--json", os.path.join(work, "cli.json")], check=True, capture_output=True)
        with open(os.path.join(work, "cli.json")) as f:
            cli = json.load(f)["top"]
        self.assertEqual(list(answers[0].examples.index), [e["example"] for e in cli])
        self.assertEqual(list(answers[0].examples["predicted"]), [e["predicted"] for e in cli])

        replay = model.replay(task_features=settings, budget=10, strategy="topk")
        self.assertEqual(sorted(replay["example"]), sorted(answers[0].examples.index))
        with self.assertRaises(ValueError):
            model.predict(task_features=pd.DataFrame([settings, settings]))
        with self.assertRaises(fp.ServiceError) as caught:
            model.predict(task_features={"lr": 0.001})
        self.assertEqual(caught.exception.status, 400)
        self.assertIn("task_features: ", caught.exception.message)  # the service's field, as the argument names it
        self.assertIn("lr, steps", caught.exception.message)

    def test_fit_with_task_features_uploads_them_and_answers_the_local_models_cold_start(self):
        # charlm-d without its task 0: settings as a DataFrame with an id column, the embedding in matrix order.
        data = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "data", "charlm-d")
        table = pd.read_csv(os.path.join(data, "tasks.csv"))
        settings = table[["task", "family", "lr", "steps"]].rename(columns={"task": "id"})
        emb = np.load(os.path.join(data, "task_emb.npy"))
        z = pd.DataFrame(np.load(os.path.join(data, "z.npy")), index=table["task"])
        train = [settings.iloc[1:], emb[1:]]
        remote = self.client.fit(z.iloc[1:], method="mf", rank=3, seed=0, name="d-features", task_features=train, progress=False)
        self.assertRegex(remote.info["taskFeatures"]["view"], r"^task_features\[[01]\]\.(csv|npy)")

        # The new task (row 0) from its features alone: the service's top list is the local model's, to the bit.
        new = [settings.iloc[[0]].set_index("id"), emb[0]]
        with fp.fit(z.iloc[1:], method="mf", rank=3, seed=0, task_features=train, progress=False) as local:
            expected = local.predict(task_features=new, progress=False).examples.sort_values("rank").head(10)
        answer = remote.predict(task_features=new, top=10)
        self.assertEqual(answer.summary["known_count"], 0)
        self.assertEqual(list(answer.examples.index), list(expected.index))
        self.assertEqual(list(answer.examples["predicted"]), list(expected["predicted"]))
        with self.assertRaises(ValueError) as caught:
            remote.predict(task_features=[os.path.join(data, "tasks.csv"), emb[0]])
        self.assertIn("not a file", str(caught.exception))
        # The local std comes from the engine's per-example CSV, the service's from its top list: equal to the last bit or two.
        np.testing.assert_allclose(answer.examples["std"], expected["std"], rtol=1e-14, atol=0)

        # A file path uploads as is; its rows are matched by task id (here one short: the job fails naming the file).
        with tempfile.TemporaryDirectory() as folder:
            few = os.path.join(folder, "few.csv")
            settings.iloc[:5].to_csv(few, index=False)
            with self.assertRaises(fp.ServiceError) as caught:
                self.client.fit(z.iloc[1:], method="mf", rank=3, name="d-few", task_features=few, progress=False)
        self.assertIn("few.csv", caught.exception.message)

    def test_fit_with_task_features_and_a_method_that_cannot_carry_them_is_refused_at_once(self):
        features = pd.DataFrame({"lr": np.linspace(1e-4, 1e-3, len(self.frame))}, index=self.frame.index)
        with self.assertRaises(fp.ServiceError) as caught:
            self.client.fit(self.frame, method="ensemble", name="stacked", task_features=features, progress=False)
        self.assertEqual(caught.exception.status, 400)
        self.assertIn("'ensemble' cannot carry them", caught.exception.message)
        self.assertIn("fit mf (or task-mean, additive, rank1)", caught.exception.message)
        with self.assertRaises(fp.EngineError) as local:
            fp.fit(self.frame, method="ensemble", task_features=features, progress=False)
        self.assertIn("'ensemble' cannot carry them", local.exception.message)

    def test_fit_known_is_refused_where_it_does_not_apply_as_the_engine_refuses_it(self):
        with self.assertRaises(fp.ServiceError) as caught:
            self.client.fit(self.frame, method="mf", name="known-mf", known=5, progress=False)
        self.assertEqual(caught.exception.status, 400)
        self.assertIn("known does not apply to 'mf' (only auto and ensemble simulate the cells you will measure)", caught.exception.message)
        with self.assertRaises(fp.EngineError) as local:
            fp.fit(self.frame, method="mf", known=5, progress=False)
        self.assertIn("known does not apply to 'mf' (only auto and ensemble simulate the cells you will measure)", local.exception.message)
        # Settings out of range are named as the arguments, remotely as locally (the service's field is "lambda").
        for model_fit in (lambda: self.client.fit(self.frame, method="mf", name="lam", lam=-1.0, progress=False),
                          lambda: fp.fit(self.frame, method="mf", lam=-1.0, progress=False)):
            with self.assertRaises(fp.EngineError) as caught:
                model_fit()
            self.assertIn("lam must be a finite number >= 0 (got -1)", caught.exception.message)

    def test_fit_with_example_features_predicts_new_examples_as_the_engine_does(self):
        # charlm-d's first 4,700 chunks with their source and base loss (a DataFrame by chunk id) and their embeddings.
        data = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "data", "charlm-d")
        z = np.load(os.path.join(data, "z.npy"))
        chunks = pd.read_csv(os.path.join(data, "upstream.csv"), dtype={"column": str}, float_precision="round_trip").set_index("column")
        emb = np.load(os.path.join(data, "example_emb.npy"))
        n = z.shape[1] - 100
        remote = self.client.fit(z[:, :n], method="mf", rank=3, seed=0, name="d-examples", example_features=[chunks.iloc[:n], emb[:n]], progress=False)
        self.assertEqual([v["view"] for v in remote.info["exampleFeatures"]],
                         ["example_features[0].csv", "example_features[0].csv categories", "example_features[1].npy"])

        # The last 100 chunks, never measured: their rows and embeddings, in the order given to fit.
        cells = pd.Series(z[3, :30:3].astype(np.float64), index=[str(j) for j in range(0, 30, 3)])  # float64: its CSV holds the same values
        answer = remote.predict(cells, new_examples=[chunks.iloc[n:], emb[n:]], top=5)
        cold = answer.cold_examples
        self.assertEqual(list(cold.index), [str(j) for j in range(n, z.shape[1])])
        self.assertTrue(cold["cold"].all())

        # The engine's own cold columns for the same model file and cells, from the bundled files: the same numbers, to the bit.
        work = os.path.join(self.folder.name, "examples")
        os.makedirs(work, exist_ok=True)
        cells.rename_axis("example").rename("value").to_csv(os.path.join(work, "observed.csv"))
        subprocess.run(fp.find_engine() + ["predict", "--model", os.path.join(self.folder.name, "store", "d-examples.fpm"),
                                           "--observed", os.path.join(work, "observed.csv"), "--example-features", os.path.join(data, "upstream.csv"),
                                           "--example-features", os.path.join(data, "example_emb.npy"), "--out", os.path.join(work, "p.csv")],
                       check=True, capture_output=True)
        engine = pd.read_csv(os.path.join(work, "p.csv"), dtype={"example": str}, float_precision="round_trip").set_index("example")
        engine = engine[engine["cold"]]
        self.assertEqual(list(engine.index), list(cold.index))
        for column in ("predicted", "std", "probability"):
            self.assertEqual(list(engine[column]), list(cold[column]))

        # A table with an id column and an embedding by id ask the same; a wrong width is the service's refusal naming the fix.
        again = remote.predict(cells, new_examples={"example_features[0].csv": chunks.iloc[n:n + 3].rename_axis("id").reset_index(),
                                                    "example_features[1].npy": {str(j): emb[j] for j in range(n, n + 3)}}, top=5)
        pd.testing.assert_frame_equal(again.cold_examples, cold.iloc[:3])
        with self.assertRaises(fp.ServiceError) as caught:
            remote.predict(new_examples=[chunks.iloc[n:n + 2], emb[n:n + 2, :10]])
        self.assertEqual(caught.exception.status, 400)
        self.assertIn("have 10 columns; the model was fitted with 384", caught.exception.message)
        with self.assertRaises(ValueError):
            remote.predict(new_examples=emb[n:])
        with self.assertRaises(fp.ServiceError) as caught:
            self.client.model("planted").predict(new_examples=[chunks.iloc[n:n + 2], emb[n:n + 2]])
        self.assertIn("was fitted without example features", caught.exception.message)

    def test_a_groups_top_examples_are_found_where_they_live_with_integer_ids(self):
        # charlm-d with integer chunk ids, every fifth chunk never measured, grouped by source: javascript's top list holds
        # new chunk 1905 (text, in cold_examples) between the model's 2353 and 2283 (int64, in examples), as locally.
        data = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "data", "charlm-d")
        z = np.load(os.path.join(data, "z.npy"))
        chunks = pd.read_csv(os.path.join(data, "upstream.csv"), float_precision="round_trip").set_index("column")
        emb = np.load(os.path.join(data, "example_emb.npy"))
        old = np.array([j for j in range(z.shape[1]) if j % 5 != 0])
        asked = np.array([j for j in range(1800, 2000) if j % 5 == 0])  # 40 new chunks (a body under the 1 MB limit)
        rows = [i for i in range(z.shape[0]) if i != 5]
        frame = pd.DataFrame(z[rows][:, old], columns=chunks.index[old])
        settings = dict(method="mf", seed=0, example_features=[chunks.iloc[old], emb[old]], examples=chunks[["source"]], progress=False)
        cells = pd.Series(z[5, old[::130]], index=chunks.index[old[::130]])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", fp.EngineWarning)  # the metadata rows of the chunks not asked about
            remote = self.client.fit(frame, name="d-int-ids", **settings)
            answer = remote.predict(cells, group_by="source", new_examples=[chunks.iloc[asked], emb[asked]], top=1000)
            with fp.fit(frame, **settings) as model:
                local = model.predict(cells, group_by="source", example_features=[chunks.iloc[np.r_[old, asked]], emb[np.r_[old, asked]]], progress=False)
        assert_top_lists_are_found(self, answer, examples=local.examples)  # the answer's examples: its top 1,000
        on_top = [e for top, flags in zip(answer.groups["top_examples"], answer.groups["top_new"]) for e, f in zip(top, flags) if not f and e in answer.examples.index]
        self.assertGreater(len(on_top), 10)
        pd.testing.assert_frame_equal(answer.examples.loc[on_top, ["predicted", "group"]], local.examples.loc[on_top, ["predicted", "group"]], rtol=1e-9)
        self.assertEqual(answer.groups.loc["javascript", "top_examples"], [2353, "1905", 2283])
        self.assertEqual(answer.groups.loc["javascript", "top_new"], [False, True, False])
        columns = ["count", "new_count", "top_examples", "top_new"]
        pd.testing.assert_frame_equal(answer.groups[columns], local.groups[columns])

    def test_fit_of_a_matrix_with_an_unmeasured_example_warns_as_the_engine_does(self):
        gaps = self.frame.copy()
        gaps.iloc[:, 2] = np.nan
        with self.assertWarns(fp.EngineWarning) as warned:
            self.client.fit(gaps, method="additive", name="gaps", progress=False, overwrite=True)
        self.assertIn("have no observed cell (first: '%s')" % gaps.columns[2], str(warned.warning))

    def test_an_interrupted_fit_is_cancelled_in_the_service_too(self):
        # A long auto fit keeps the service's one fit worker busy, so the interrupted fit is still waiting when it is cancelled.
        blocker_z = np.random.default_rng(3).normal(size=(60, 60000)).astype(np.float32)
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "blocker.npy")
            np.save(path, blocker_z)
            blocker = self.client._upload("/v1/models", {"name": "blocker", "overwrite": "true"}, [("file", Path(path))])
        try:
            with mock.patch("forgetpredict.client.time.sleep", side_effect=KeyboardInterrupt):
                with self.assertRaises(KeyboardInterrupt):
                    self.client.fit(self.frame.iloc[1:], method="mf", name="interrupted", progress=False)
            jobs = [j for j in self.client._request("GET", "/v1/jobs")["jobs"] if j["model"] == "interrupted"]
            self.assertEqual(len(jobs), 1, jobs)
            self.assertEqual((jobs[0]["state"], jobs[0]["stage"]), ("failed", "cancelled"), jobs[0])
            self.assertIn("cancelled", jobs[0]["error"])
            self.assertNotIn("interrupted", self.client.models().index)
        finally:
            # The running blocker stops at its next solver sweep.
            self.client._cancel(blocker["id"])
            deadline = time.monotonic() + 120
            while (job := self.client._request("GET", f"/v1/jobs/{blocker['id']}"))["state"] not in ("succeeded", "failed"):
                self.assertLess(time.monotonic(), deadline, job)
                time.sleep(0.1)
        self.assertEqual((job["state"], job["stage"]), ("failed", "cancelled"), job)
        self.assertNotIn("blocker", self.client.models().index)
        # The name is free again: the same upload now fits.
        self.client.fit(self.frame.iloc[1:], method="additive", name="interrupted", progress=False)
        self.assertIn("interrupted", self.client.models().index)

    def test_a_masked_array_uploads_its_masked_cells_as_missing(self):
        z = self.frame.iloc[1:].to_numpy()
        hidden = np.zeros(z.shape, dtype=bool)
        hidden[4, 9] = hidden[0, 2] = True
        under = z.copy()
        under[hidden] = -999.0
        with_nan = z.copy()
        with_nan[hidden] = np.nan
        masked = self.client.fit(np.ma.masked_array(under, mask=hidden), method="mf", seed=0, name="masked", overwrite=True, progress=False)
        expected = self.client.fit(with_nan, method="mf", seed=0, name="with-nan", overwrite=True, progress=False)
        cells = np.ma.masked_array(self.frame.iloc[0].to_numpy(), mask=np.arange(len(self.ids)) >= 20)
        pd.testing.assert_frame_equal(masked.predict(cells, top=10).examples, expected.predict(cells[:20].data, top=10).examples)

    def test_integer_ids_come_back_as_integers_from_a_model_asked_for_by_name(self):
        meta = pd.DataFrame({"source": self.meta["source"].to_numpy()})  # by column position
        z = self.frame.iloc[1:].to_numpy()
        self.client.fit(z, method="mf", seed=0, name="positions", examples=meta, overwrite=True, progress=False)
        model = self.client.model("positions")  # a new handle, as in a new session
        p = model.predict(pd.Series(self.frame.iloc[0, :10].to_numpy()), group_by="source", top=5)
        self.assertEqual(p.examples.index.dtype, np.int64)
        top = p.groups["top_examples"].iloc[0]
        self.assertTrue(all(type(i) is int for i in top), top)
        with fp.fit(z, method="mf", seed=0, examples=meta, progress=False) as local:
            expected = local.predict(pd.Series(self.frame.iloc[0, :10].to_numpy()), group_by="source", progress=False)
        self.assertEqual(list(p.examples.index), list(expected.examples.sort_values("rank").index[:5]))
        self.assertEqual(list(p.groups["top_examples"]), list(expected.groups["top_examples"]))
        self.assertEqual(model.design(3).index.dtype, np.int64)
        self.assertTrue(all(isinstance(i, (int, np.integer)) for i in model.replay(budget=3)["example"]))
        self.assertEqual(model.info["source"], "z.int64-ids.npz")

        hashes = pd.Index(np.arange(len(self.ids), dtype=np.uint64) + np.uint64(2 ** 64 - 1000))
        remote = self.client.fit(pd.DataFrame(z, columns=hashes), method="additive", name="hashes", overwrite=True, progress=False)
        self.assertTrue(set(self.client.model("hashes").predict(top=5).examples.index) <= set(hashes))
        self.assertEqual(remote.predict(top=5).examples.index.dtype, np.uint64)

    def test_text_and_integer_ids_side_by_side_come_back_of_their_own_types_from_the_service(self):
        ids = ["held-out"] + list(range(len(self.ids) - 1))
        self.client.fit(pd.DataFrame(self.frame.iloc[1:].to_numpy(), columns=ids), method="mf", seed=0, name="mixed", overwrite=True,
                        progress=False)
        model = self.client.model("mixed")  # a new handle: the kind comes from the model's source
        self.assertEqual(model.info["source"], "z.mixed-ids.npz")
        p = model.predict({"held-out": 0.3, 0: 0.2}, top=len(ids))  # the service lists the top examples
        self.assertEqual(sorted(p.examples.index, key=str), sorted(ids, key=str))
        self.assertTrue(all(type(i) is (str if i == "held-out" else int) for i in p.examples.index))
        self.assertEqual(p.examples.loc[[0, "held-out"]].shape[0], 2)
        self.assertTrue(all(type(i) is (str if i == "held-out" else int) for i in model.replay(budget=len(ids), strategy="topk")["example"]))
        with self.assertRaises(fp.InputError) as caught:
            self.client.fit(pd.DataFrame(self.frame.to_numpy(), columns=["1"] + list(range(2, len(ids) + 1))), name="ambiguous",
                            progress=False)
        self.assertTrue(caught.exception.message.startswith("z's columns: the ids mix text and integers (2), and the text id '1' spells "
                                                            "a whole number"), caught.exception.message)

    def test_metadata_with_pandas_row_numbers_is_keyed_by_its_id_column_as_locally(self):
        # read_csv of a shuffled column,source file: the service, like the engine, reads the ids from 'column', not the row numbers.
        z = self.frame.iloc[1:].to_numpy()
        meta = pd.DataFrame({"column": range(z.shape[1]), "source": self.meta["source"].to_numpy()})
        meta = meta.sample(frac=1, random_state=0).reset_index(drop=True)
        with warnings.catch_warnings():
            warnings.simplefilter("error", fp.EngineWarning)
            self.client.fit(z, method="additive", name="by-column", examples=meta, overwrite=True, progress=False)
            remote = self.client.model("by-column").predict(pd.Series(self.frame.iloc[0, :10].to_numpy()), top=5).groups
            with fp.fit(z, method="additive", examples=meta, progress=False) as local:
                expected = local.predict(pd.Series(self.frame.iloc[0, :10].to_numpy()), progress=False).groups
        self.assertEqual(sorted(remote.index), ["alpha", "beta", "gamma"])
        pd.testing.assert_series_equal(remote["count"], expected["count"], check_dtype=False)

    def test_the_client_refuses_what_the_local_package_refuses(self):
        cells = pd.Series([0.2, 0.3], index=[self.ids[0], self.ids[0]])
        with self.assertRaises(fp.ServiceError) as remote:
            self.remote.predict(cells)
        with self.assertRaises(fp.EngineError) as local:
            self.local.predict(cells, progress=False)
        for caught in (remote, local):
            self.assertIn(f"example '{self.ids[0]}' is measured twice", caught.exception.message)
        for model in (self.remote, self.local):
            with self.assertRaises(fp.InputError) as caught:
                model.predict(self.observed, top=-1)
            self.assertIn("top must be a whole number of at least 0 (got -1)", caught.exception.message)
            # top=0 lists no most-forgotten example (the service then answers with none), here as in the command line.
            listed = model.predict(self.observed, top=0).examples
            self.assertEqual(0 if model is self.remote else len(self.ids), len(listed))
            with self.assertRaises(fp.InputError):
                model.predict(0.5)
            # No measured cell (empty, or NaN only) is refused alike, saying to leave observed out, not an internal file, nor
            # answered silently as if observed were None.
            for empty in ({}, pd.Series([], dtype=float), {self.ids[0]: np.nan}):
                for call in (model.predict, model.replay, model.design):
                    with self.assertRaises(fp.InputError) as caught:
                        call(observed=empty)
                    self.assertTrue(caught.exception.message.startswith("observed holds no measured cell"), caught.exception.message)
                    self.assertIn("leave observed out (None)", caught.exception.message)
            with self.assertRaises(fp.InputError) as caught:
                model.replay(budget=5, strategy="bogus")
            self.assertIn("strategy='bogus' is not one of", caught.exception.message)

    def test_predict_without_group_by_needs_no_choice_among_several_metadata_columns(self):
        meta = self.meta.assign(shard=np.arange(len(self.ids)) % 2)
        remote = self.client.fit(self.frame.iloc[1:], method="mf", seed=0, name="two-columns", examples=meta, overwrite=True, progress=False)
        with fp.fit(self.frame.iloc[1:], method="mf", seed=0, examples=meta, progress=False) as local:
            # Locally as from the service: no groups, and a warning naming the columns (the engine had refused).
            with self.assertWarnsRegex(fp.EngineWarning, r"has 2 columns to group by \(source, shard\) and none was chosen, so this answer reports no groups; choose one with group_by"):
                expected = local.predict(self.observed, progress=False)
            self.assertEqual(len(expected.groups), 0)
            self.assertEqual(len(expected.summary["warnings"]), 1)  # the summary keeps what was raised, in the same words
            self.assertRegex(expected.summary["warnings"][0], r"has 2 columns to group by \(source, shard\) and none was chosen, so this answer reports no groups; choose one with group_by")
            stratified = local.replay(budget=6, strategy="stratified", group_by="shard", progress=False)
        with self.assertWarnsRegex(fp.EngineWarning, r"has 2 columns to group by \(source, shard\) and none was chosen, so this answer reports no groups; choose one with group_by"):
            answer = remote.predict(self.observed, top=10)
        self.assertEqual(len(answer.groups), 0)
        self.assertEqual(len(answer.summary["warnings"]), 1)
        self.assertRegex(answer.summary["warnings"][0], r"has 2 columns to group by \(source, shard\) and none was chosen, so this answer reports no groups; choose one with group_by")
        self.assertNotIn("group", answer.examples.columns)  # no groups: no group column, as locally
        self.assertNotIn("group", expected.examples.columns)
        self.assertEqual(list(answer.examples.index), list(expected.examples.sort_values("rank").index[:10]))
        self.assertEqual(len(remote.design(3).columns), 1)
        self.assertTrue(remote.replay(budget=4)["group"].isna().all())
        self.assertEqual(sorted(remote.replay(budget=6, strategy="stratified", group_by="shard")["group"].unique()), sorted(stratified["group"].unique()))
        with self.assertRaises(fp.ServiceError) as caught:  # a stratified replay needs groups: the service asks which column
            remote.replay(budget=6, strategy="stratified")
        self.assertIn("has 2 columns to group by (source, shard): choose one with group_by.", caught.exception.message)

    def test_a_service_that_cannot_be_reached_or_does_not_answer_is_a_service_error(self):
        with self.assertRaises(fp.ServiceUnavailable) as caught:
            fp.Client(f"http://127.0.0.1:{free_port()}").models()
        self.assertIsInstance(caught.exception, fp.ServiceError)
        self.assertIn("could not reach the forgetpredict service at http://127.0.0.1:", caught.exception.message)
        self.assertIn("forgetpredict serve", caught.exception.message)
        self.assertIsNone(caught.exception.status)
        with self.assertRaises(fp.ServiceUnavailable) as caught:
            fp.Client("http://no-such-host.invalid:5080").models()
        self.assertIn("no-such-host.invalid", caught.exception.message)
        # A server that accepts the connection and never answers: the timeout, named with the fix.
        with socket.socket() as silent:
            silent.bind(("127.0.0.1", 0))
            silent.listen(1)
            url = f"http://127.0.0.1:{silent.getsockname()[1]}"
            with self.assertRaises(fp.ServiceUnavailable) as caught:
                fp.RemoteModel(fp.Client(url, timeout=0.5), "planted", {}).predict(self.observed)
        self.assertIn(f"the service at {url} did not answer POST {url}/v1/models/planted/predict within 0.5 s", caught.exception.message)
        self.assertIn("timeout=", caught.exception.message)
        self.assertFalse(fp.Client(url, timeout=0.5).healthy())

    def test_a_client_is_a_context_manager_and_closes_once(self):
        with fp.Client(self.url, api_key=self.KEY) as client:
            self.assertIn("planted", client.models().index)
        self.assertIn("(closed)", repr(client))
        with self.assertRaises(fp.InputError) as caught:
            client.models()
        self.assertIn("is closed", caught.exception.message)
        client.close()  # again: nothing happens
        self.assertFalse(client.healthy())

    def test_failed_fit_raises(self):
        with self.assertRaises(fp.ServiceError) as caught:
            self.client.fit(self.frame, method="logistic", name="not-binary", progress=False)
        self.assertIn("binary", caught.exception.message)

    def test_a_failed_fit_names_the_matrix_by_its_argument_as_fp_fit_does(self):
        with self.assertRaises(fp.ServiceError) as remote:
            self.client.fit(np.zeros((0, 3)), method="additive", name="empty", progress=False)
        with self.assertRaises(fp.EngineError) as local:
            fp.fit(np.zeros((0, 3)), method="additive", progress=False)
        self.assertEqual(remote.exception.message, local.exception.message)
        self.assertTrue(remote.exception.message.startswith("z: the matrix has 0 tasks and 3 examples"), remote.exception.message)


if __name__ == "__main__":
    unittest.main()
