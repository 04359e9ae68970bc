"""The forgetpredict package against the engine's command line: round trips, ids, missing cells, errors, cleanup."""
import glob
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
import unittest
import warnings

import numpy as np
import pandas as pd

import forgetpredict as fp


def planted(tasks=24, examples=300, seed=0):
    """A low-rank matrix with noise: task disruptiveness x example fragility plus one group pattern."""
    rng = np.random.default_rng(seed)
    fragility = rng.lognormal(0, 0.5, examples)
    group = np.arange(examples) % 3
    z = np.outer(0.3 * rng.lognormal(0, 0.5, tasks), fragility)
    z += np.outer(0.2 * rng.random(tasks), group == 0)
    return z + rng.normal(0, 0.01, (tasks, examples)), group


def leftovers():
    return set(glob.glob(os.path.join(tempfile.gettempdir(), "forgetpredict-*")))


class LocalTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.z, group = planted()
        cls.tasks = [f"task-{i}" for i in range(cls.z.shape[0])]
        cls.ids = [f"ex/{j}" for j in range(cls.z.shape[1])]
        cls.frame = pd.DataFrame(cls.z, index=cls.tasks, columns=cls.ids)
        cls.frame.iloc[3, 7] = np.nan
        cls.frame.iloc[5, 0] = np.nan
        cls.meta = pd.DataFrame({"source": np.array(["alpha", "beta", "gamma"])[group]}, index=cls.ids)
        cls.model = fp.fit(cls.frame.iloc[1:], method="mf", seed=0, examples=cls.meta, progress=False)

    @classmethod
    def tearDownClass(cls):
        cls.model.close()

    def observed(self, count=30):
        row = self.frame.iloc[0]
        return row.iloc[np.random.default_rng(1).choice(len(row), count, replace=False)]

    def test_prediction_keeps_string_ids_in_model_order(self):
        p = self.model.predict(self.observed(), group_by="source", progress=False)
        self.assertEqual(list(p.examples.index), self.ids)
        self.assertEqual(list(p.examples.columns[:4]), ["predicted", "std", "probability", "rank"])
        self.assertEqual(sorted(p.examples["rank"]), list(range(1, len(self.ids) + 1)))
        self.assertEqual(list(p.examples["group"]), list(self.meta["source"]))

    def test_prediction_is_close_to_the_held_out_row(self):
        p = self.model.predict(self.observed(), progress=False)
        truth = self.frame.iloc[0].to_numpy()
        error = np.sqrt(np.mean((p.examples["predicted"].to_numpy() - truth) ** 2))
        agnostic = np.sqrt(np.mean((self.frame.iloc[1:].mean().to_numpy() - truth) ** 2))
        self.assertLess(error, 0.5 * agnostic)

    def test_groups_match_the_examples_table(self):
        p = self.model.predict(self.observed(), group_by="source", progress=False)
        self.assertEqual(sorted(p.groups.index), ["alpha", "beta", "gamma"])
        means = p.examples.groupby("group")["predicted"].mean()
        for name, row in p.groups.iterrows():
            self.assertAlmostEqual(row["mean"], means[name], places=9)
            self.assertEqual(row["count"], 100)
            self.assertLess(row["lower"], row["mean"])
            self.assertGreater(row["upper"], row["mean"])
            self.assertEqual(len(row["top_examples"]), 3)
        # The planted pattern hits group 0 (alpha) on every task: it is the most damaged.
        self.assertEqual(p.groups.index[0], "alpha")

    def test_html_report_renders_inline(self):
        p = self.model.predict(self.observed(), group_by="source", progress=False)
        self.assertTrue(p._repr_html_().lstrip().lower().startswith("<!doctype html"))
        self.assertIn("alpha", p.html)

    def test_observed_as_dict_with_missing_values_equals_series(self):
        cells = self.observed(10)
        with_nan = dict(cells.items())
        with_nan[self.ids[-1]] = float("nan")
        a = self.model.predict(cells, progress=False).examples
        b = self.model.predict(with_nan, progress=False).examples
        pd.testing.assert_frame_equal(a, b)

    def test_task_agnostic_without_observed_cells(self):
        p = self.model.predict(progress=False)
        self.assertTrue(p.summary["task_agnostic"])
        self.assertEqual(p.summary["known_count"], 0)

    def test_array_without_ids_numbers_the_examples(self):
        with fp.fit(self.z[1:], method="additive", progress=False) as model:
            p = model.predict(pd.Series(self.z[0, :20], index=range(20)), progress=False)
            replay = model.replay(pd.Series(self.z[0, :20], index=range(20)), budget=5, progress=False)
            design = model.design(3, progress=False)
        # The positions come back as integers, so results join to the caller's integer-indexed frames.
        self.assertEqual(list(p.examples.index), list(range(self.z.shape[1])))
        self.assertEqual(p.examples.index.dtype, np.int64)
        self.assertTrue(all(isinstance(j, (int, np.integer)) for j in replay["example"]))
        self.assertEqual(design.index.dtype, np.int64)
        meta = pd.DataFrame({"source": ["a", "b", "c"] * (self.z.shape[1] // 3)})
        self.assertFalse(p.examples.join(meta)["source"].isna().any())

    def test_array_metadata_in_any_row_order_describes_the_column_of_its_id(self):
        # Metadata of an array indexed by column position (pandas' default index), sorted by source: each row still
        # describes the column its id names, so the groups are the same as with the metadata in column order.
        meta = pd.DataFrame({"source": np.array(["alpha", "beta", "gamma"])[np.arange(self.z.shape[1]) % 3]})
        cells = pd.Series(self.z[0, :30], index=range(30))
        with fp.fit(self.z[1:], method="mf", seed=0, examples=meta, progress=False) as ordered, \
                fp.fit(self.z[1:], method="mf", seed=0, examples=meta.sort_values("source"), progress=False) as sorted_rows:
            a = ordered.predict(cells, group_by="source", progress=False)
            b = sorted_rows.predict(cells, group_by="source", progress=False)
        pd.testing.assert_frame_equal(a.groups, b.groups)
        pd.testing.assert_frame_equal(a.examples, b.examples)
        self.assertEqual(list(b.examples.sort_index()["group"].iloc[:3]), ["alpha", "beta", "gamma"])

    def test_numbers_are_ids_unless_by_index(self):
        cells = pd.Series(self.z[0, :3], index=[0, 1, 2])
        with self.assertRaises(fp.EngineError) as caught:
            self.model.predict(cells, progress=False)
        self.assertIn("pass by_index=True to read these as column positions", caught.exception.message)
        by_index = self.model.predict(cells, by_index=True, progress=False).examples
        by_id = self.model.predict(pd.Series(self.z[0, :3], index=self.ids[:3]), progress=False).examples
        pd.testing.assert_frame_equal(by_index, by_id)
        chosen = self.model.replay(cells, budget=12, strategy="topk", exclude=[0, 1], by_index=True, progress=False)
        self.assertTrue(set(chosen["example"]).isdisjoint(self.ids[:2]))

    def test_float32_array_with_ids_round_trips(self):
        z32 = self.z.astype(np.float32)
        with fp.fit(z32[1:], method="mf", seed=0, tasks=self.tasks[1:], examples=self.ids, progress=False) as a, \
                fp.fit(pd.DataFrame(z32[1:], index=self.tasks[1:], columns=self.ids), method="mf", seed=0, progress=False) as b:
            pa = a.predict(self.observed(), progress=False).examples
            pb = b.predict(self.observed(), progress=False).examples
        pd.testing.assert_frame_equal(pa, pb)

    def test_save_and_load(self):
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "m.fpm")
            self.model.save(path)
            with fp.load(path, examples=self.meta) as loaded:
                a = loaded.predict(self.observed(), group_by="source", progress=False)
        b = self.model.predict(self.observed(), group_by="source", progress=False)
        pd.testing.assert_frame_equal(a.examples, b.examples)
        pd.testing.assert_frame_equal(a.groups, b.groups)

    def test_replay(self):
        chosen = self.model.replay(self.observed(), budget=12, strategy="topk", exclude=self.ids[:5], progress=False)
        self.assertEqual(len(chosen), 12)
        self.assertEqual(list(chosen.columns), ["example", "weight", "predicted", "group"])
        self.assertTrue(set(chosen["example"]).isdisjoint(self.ids[:5]))
        predicted = self.model.predict(self.observed(), progress=False).examples["predicted"].drop(self.ids[:5])
        self.assertEqual(set(chosen["example"]), set(predicted.nlargest(12).index))

    def test_design_lists_cells_that_predict_reads(self):
        cells = fp.design(self.frame.iloc[1:], 8, examples=self.meta, group_by="source", progress=False)
        self.assertEqual(list(cells.columns), ["order", "group"])
        self.assertEqual(list(cells["order"]), list(range(1, 9)))
        self.assertTrue(set(cells.index) <= set(self.ids))
        self.assertEqual(list(cells["group"]), list(self.meta.loc[cells.index, "source"]))
        measured = self.frame.iloc[0][cells.index]
        p = self.model.predict(measured, progress=False)
        self.assertEqual(int(p.examples["measured"].sum()), 8)
        kept = fp.design(self.frame.iloc[1:], 8, exclude=list(cells.index[:3]), progress=False)
        self.assertTrue(set(kept.index).isdisjoint(cells.index[:3]))
        following = fp.design(self.frame.iloc[1:], 4, observed=measured[cells.index[:4]], progress=False)
        self.assertEqual(list(following.index), list(cells.index[4:]))
        with self.assertRaises(fp.EngineError) as error:
            fp.design(self.frame.iloc[1:], 8, criterion="neighbours", progress=False)
        self.assertIn("neighbours", str(error.exception))

    def test_observed_as_a_dataframe(self):
        cells = self.observed()
        frame = pd.DataFrame({"example": cells.index, "value": cells.to_numpy()})
        a = self.model.predict(frame, progress=False).examples
        pd.testing.assert_frame_equal(a, self.model.predict(cells, progress=False).examples)
        wide = pd.DataFrame([cells.to_numpy()], columns=cells.index)
        pd.testing.assert_frame_equal(self.model.predict(wide, progress=False).examples, a)
        with self.assertRaises(ValueError) as caught:
            self.model.predict(pd.DataFrame({"a": [1.0, 2.0]}), progress=False)
        self.assertIn("without columns 'example' and 'value'", str(caught.exception))

    def test_model_design_chooses_on_the_fitted_model(self):
        cells = self.model.design(8, group_by="source", progress=False)
        self.assertEqual(list(cells.columns), ["order", "group"])
        self.assertEqual(list(cells["order"]), list(range(1, 9)))
        self.assertEqual(list(cells["group"]), list(self.meta.loc[cells.index, "source"]))
        measured = self.frame.iloc[0][cells.index[:4]]
        following = self.model.design(4, observed=measured, exclude=[cells.index[5]], progress=False)
        self.assertEqual(list(following.columns), ["order", "group"])  # the metadata's only column, as in predict
        self.assertNotIn(cells.index[5], following.index)
        self.assertEqual(list(self.model.design(4, observed=measured, progress=False).index), list(cells.index[4:]))
        with fp.fit(self.frame.iloc[1:], method="knn", progress=False) as knn:
            with self.assertRaises(fp.EngineError) as error:
                knn.design(5, progress=False)
        self.assertIn("A knn model has no factor model to design on", error.exception.message)

    def test_analyze_finds_the_planted_rank(self):
        r2 = fp.analyze(self.frame, max_rank=4, progress=False)["r2"]
        self.assertEqual(list(r2.index[:4]), ["task_only", "example_only", "additive", "rank1"])
        self.assertGreater(r2["svd2"], 0.99)
        self.assertLess(r2["svd1"], r2["svd2"])

    def test_evaluate_returns_a_table_per_method(self):
        table = fp.evaluate(self.frame, methods=["additive", "mf"], test_rows=[0, 1, 2], known=20, seeds=2, predictions=True, progress=False)
        self.assertEqual(list(table.index), ["additive", "mf"])
        self.assertLess(table.loc["mf", "rmse"], table.loc["additive", "rmse"])
        self.assertEqual(table.attrs["result"]["test_tasks"], self.tasks[:3])
        predictions = table.attrs["predictions"]
        self.assertEqual(set(predictions["task"]), set(self.tasks[:3]))

    def test_evaluate_draws_numpys_cells_and_scores_external_predictors_on_them(self):
        # numpy's draws: the test tasks are default_rng(split_seed).choice(M, round(f M), replace=False).
        table = fp.evaluate(self.z, methods=["additive"], reveal_rng="numpy", test_fraction=0.25, split_seed=3, seeds=1, known=10,
                            external={"truth": pd.DataFrame(self.z, index=[str(i) for i in range(self.z.shape[0])]), "half": pd.DataFrame(self.z / 2)},
                            top_fraction=0.05, progress=False)
        result = table.attrs["result"]
        expected = sorted(np.random.default_rng(3).choice(self.z.shape[0], round(0.25 * self.z.shape[0]), replace=False))
        self.assertEqual(result["test_tasks"], [str(i) for i in expected])
        self.assertEqual(result["reveal_rng"], "numpy")
        scores = {e["name"]: e["rmse"] for e in result["external"]}
        self.assertEqual(scores["truth"], 0)
        self.assertGreater(scores["half"], table.loc["additive", "rmse"])

    def test_engine_errors_carry_the_one_line_message(self):
        with self.assertRaises(fp.EngineError) as caught:
            fp.fit(self.frame, method="nmf", progress=False)
        self.assertIn("Unknown method 'nmf'", caught.exception.message)
        self.assertNotIn("\n", caught.exception.message)
        self.assertEqual(caught.exception.exit_code, 2)

    def test_engine_messages_name_the_python_arguments(self):
        with self.assertRaises(fp.EngineError) as caught:
            fp.analyze(self.z, max_rank=0, progress=False)
        self.assertEqual(caught.exception.message, "max_rank must be at least 1.")
        with self.assertRaises(fp.EngineError) as caught:
            self.model.predict(self.observed(), prior="bogus", progress=False)
        self.assertEqual(caught.exception.message, "prior='bogus' is not one of 'empirical', 'ridge'.")

    def test_unknown_observed_id_is_an_engine_error(self):
        with self.assertRaises(fp.EngineError) as caught:
            self.model.predict({"no-such-example": 0.3}, progress=False)
        self.assertIn("no-such-example", caught.exception.message)
        self.assertIn("not one of the model's", caught.exception.message)

    def test_a_bad_cell_is_named_by_the_file_it_was_written_to_not_a_deleted_temporary_path(self):
        with self.assertRaises(fp.EngineError) as caught:
            self.model.predict({self.ids[0]: float("inf")}, progress=False)
        self.assertTrue(caught.exception.message.startswith("observed.csv:2: column 'value': value 'inf' is not finite"), caught.exception.message)
        self.assertNotIn(tempfile.gettempdir(), caught.exception.details)

    def test_group_by_without_metadata_is_refused(self):
        with fp.fit(self.z[1:], method="additive", progress=False) as model:
            with self.assertRaises(ValueError):
                model.predict(group_by="source", progress=False)

    def test_fit_without_a_method_is_the_engines_default_auto(self):
        with fp.fit(self.z[1:], seed=0, progress=False) as model:
            self.assertTrue(model.summary.startswith("fitted auto"), model.summary)

    def test_bad_input_shapes_are_refused_before_the_engine(self):
        with self.assertRaises(ValueError):
            fp.fit(np.zeros(5), progress=False)
        with self.assertRaises(ValueError):
            fp.fit(self.z, tasks=["a"], progress=False)

    def test_temporary_files_are_removed(self):
        before = leftovers()
        model = fp.fit(self.frame.iloc[1:], method="additive", progress=False)
        model.predict(self.observed(), progress=False)
        with self.assertRaises(fp.EngineError):
            model.predict({"missing": 1.0}, progress=False)
        model.close()
        self.assertEqual(leftovers(), before)

    def test_progress_events_reach_the_caller(self):
        from forgetpredict import _engine

        events = []
        _engine.run(["evaluate", self.write(), "--methods", "additive", "--test-rows", "0,1", "--seeds", "2"],
                    progress=False, on_progress=events.append)
        fractions = [e["fraction"] for e in events]
        self.assertGreater(len(events), 2)
        self.assertEqual(fractions, sorted(fractions))
        self.assertEqual(events[-1], {"stage": "done", "fraction": 1.0})
        self.assertEqual({e.get("detail") for e in events[:-1]}, {"additive"})

    def test_fit_reports_its_stages(self):
        from forgetpredict import _engine

        events = []
        with tempfile.TemporaryDirectory() as folder:
            _engine.run(["fit", self.write(), "--method", "additive", "--out", os.path.join(folder, "m.fpm")], progress=False, on_progress=events.append)
        self.assertEqual([e["stage"] for e in events], ["reading", "fitting", "scoring", "saving", "done"])

    def write(self):
        folder = tempfile.mkdtemp(prefix="fp-test-")
        self.addCleanup(lambda: __import__("shutil").rmtree(folder, ignore_errors=True))
        path = os.path.join(folder, "z.npy")
        np.save(path, self.z)
        return path


class EngineDiscoveryTests(unittest.TestCase):
    def test_finds_the_repository_build_from_inside_the_checkout(self):
        root = os.environ.get("FP_REPO_ROOT")
        if root is None:
            self.skipTest("FP_REPO_ROOT not set")
        saved = {k: os.environ.pop(k, None) for k in ("FORGETPREDICT",)}
        path, cwd = os.environ["PATH"], os.getcwd()
        try:
            os.environ["PATH"] = os.pathsep.join(p for p in path.split(os.pathsep) if not os.path.isfile(os.path.join(p, "forgetpredict")))
            os.chdir(os.path.join(root, "notebooks"))
            command = fp.find_engine()
            self.assertTrue(command[-1].endswith("forgetpredict.dll"), command)
        finally:
            os.chdir(cwd)
            os.environ["PATH"] = path
            for k, v in saved.items():
                if v is not None:
                    os.environ[k] = v

    def test_finds_an_installed_command_on_path(self):
        # make install PREFIX=DIR puts DIR/bin/forgetpredict; with DIR/bin on PATH the package runs it.
        engine = fp.find_engine()
        with tempfile.TemporaryDirectory() as folder:
            command = os.path.join(folder, "forgetpredict")
            with open(command, "w") as f:
                f.write("#!/bin/sh\nexec " + " ".join(engine) + ' "$@"\n')
            os.chmod(command, 0o755)
            saved, path = os.environ.pop("FORGETPREDICT", None), os.environ["PATH"]
            os.environ["PATH"] = folder + os.pathsep + path
            try:
                self.assertEqual(fp.find_engine(), [command])
                r2 = fp.analyze(np.outer(np.arange(1.0, 5.0), np.arange(1.0, 7.0)), max_rank=1, progress=False)["r2"]
                self.assertAlmostEqual(r2["svd1"], 1.0, places=6)
            finally:
                os.environ["PATH"] = path
                if saved is not None:
                    os.environ["FORGETPREDICT"] = saved

    def test_a_missing_dll_in_FORGETPREDICT_is_engine_not_found_naming_the_variable_and_the_path(self):
        if shutil.which("dotnet") is None:
            self.skipTest("dotnet is not on PATH")
        saved = os.environ.get("FORGETPREDICT")
        os.environ["FORGETPREDICT"] = "dotnet /nonexistent/forgetpredict.dll"
        try:
            with self.assertRaises(fp.EngineNotFound) as caught:
                fp.analyze(np.ones((3, 3)), progress=False)
            self.assertIn("FORGETPREDICT", caught.exception.message)
            self.assertIn("/nonexistent/forgetpredict.dll does not exist", caught.exception.message)
        finally:
            if saved is None:
                del os.environ["FORGETPREDICT"]
            else:
                os.environ["FORGETPREDICT"] = saved

    def test_an_interrupted_call_stops_the_engine_and_leaves_nothing_in_the_temporary_folder(self):
        # A fit whose task features are a FIFO nobody writes: the engine blocks reading it until the call is interrupted
        # (Ctrl+C in Jupyter is SIGINT to the kernel, a KeyboardInterrupt in the call). Nothing may stay in TMPDIR: not
        # the package's folders, not .NET's debugger pipes or diagnostic socket, and the engine must be gone.
        if not hasattr(os, "mkfifo") or not os.path.isdir("/proc/self"):
            self.skipTest("needs mkfifo and /proc")
        with tempfile.TemporaryDirectory(prefix="fp-test-") as folder:
            private = os.path.join(folder, "tmp")
            os.mkdir(private)
            fifo = os.path.join(folder, "never-written.csv")
            os.mkfifo(fifo)
            script = textwrap.dedent("""
                import signal, sys
                import numpy as np
                import forgetpredict as fp
                signal.signal(signal.SIGINT, signal.default_int_handler)  # even when started with SIGINT ignored
                z = np.outer(np.arange(1.0, 9.0), np.linspace(0.5, 1.5, 30)) + np.random.default_rng(0).normal(0, 0.01, (8, 30))
                fp.fit(z, method="mf", task_features=sys.argv[1], progress=False)
                """)
            env = {k: v for k, v in os.environ.items() if k != "DOTNET_EnableDiagnostics"}
            env["TMPDIR"] = private
            child = subprocess.Popen([sys.executable, "-c", script, fifo], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            try:
                engine = self.wait_for_child_process(child)
                time.sleep(1.5)  # the runtime is up: a .NET process with diagnostics on has made its pipes and socket by now
                self.assertIsNone(child.poll())
                child.send_signal(signal.SIGINT)
                _, stderr = child.communicate(timeout=60)
            finally:
                if child.poll() is None:
                    child.kill()
                    child.communicate()
            self.assertIn("KeyboardInterrupt", stderr)
            self.assertFalse(os.path.exists(f"/proc/{engine}"), "the engine outlived the interrupted call")
            self.assertEqual(sorted(os.listdir(private)), [])

    @staticmethod
    def wait_for_child_process(parent, timeout=60.0):
        """The id of the first child process of ``parent`` (the engine the package started)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for entry in os.listdir("/proc"):
                if entry.isdigit():
                    try:
                        with open(f"/proc/{entry}/stat") as f:
                            fields = f.read().rsplit(")", 1)[1].split()
                    except OSError:
                        continue
                    if int(fields[1]) == parent.pid:
                        return int(entry)
            if parent.poll() is not None:
                raise AssertionError(f"the call ended before starting the engine: {parent.stderr.read()}")
            time.sleep(0.05)
        raise AssertionError("the engine did not start")

    def test_missing_engine_says_how_to_get_it(self):
        saved = os.environ.get("FORGETPREDICT")
        os.environ["FORGETPREDICT"] = "/nonexistent/forgetpredict"
        try:
            with self.assertRaises(fp.EngineNotFound) as caught:
                fp.analyze(np.ones((3, 3)), progress=False)
            self.assertIn("FORGETPREDICT", caught.exception.message)
        finally:
            if saved is None:
                del os.environ["FORGETPREDICT"]
            else:
                os.environ["FORGETPREDICT"] = saved


if __name__ == "__main__":
    unittest.main()
