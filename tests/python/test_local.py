"""The forgetpredict package against the engine's command line: round trips, ids, missing cells, errors, cleanup."""
import glob
import json
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
from unittest import mock

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


def private_tempdir(test):
    """A temporary folder of the test's own for the package's files (tempfile.tempdir, which the package's mkdtemp
    calls use), so another process's files in the shared one (a parallel test run) do not count; restored and removed
    at cleanup."""
    folder = tempfile.mkdtemp(prefix="fp-test-tmp-")
    saved = tempfile.tempdir
    test.addCleanup(shutil.rmtree, folder, True)
    test.addCleanup(setattr, tempfile, "tempdir", saved)
    tempfile.tempdir = folder
    return folder


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
        # A model saved under a data format's name (model.csv) is refused, as 'forgetpredict fit --out model.csv' is.
        with tempfile.TemporaryDirectory() as folder:
            for name, form in [("model.csv", "csv"), ("model.NPY", "npy"), ("model.json", "json"), ("model.parquet", "parquet"), ("model.txt", "txt")]:
                with self.assertRaises(fp.EngineError) as caught:
                    self.model.save(os.path.join(folder, name))
                self.assertTrue(caught.exception.message.startswith(f"path={os.path.join(folder, name)!r}: "), caught.exception.message)
                self.assertIn(f"names a data format ({form}), but a model file is ForgetPredict's own binary format", caught.exception.message)
                self.assertIn(f"name it with .fpm ({os.path.join(folder, 'model.fpm')})", caught.exception.message)
            # The name suggested keeps the folder and is one save takes (m.npy.gz and m.fpm.csv -> m.fpm): the engine's.
            for name in ["m.npy.gz", "m.fpm.csv"]:
                with self.assertRaises(fp.EngineError) as caught:
                    self.model.save(os.path.join(folder, name))
                self.assertIn(f"name it with .fpm ({os.path.join(folder, 'm.fpm')})", caught.exception.message)
            self.assertEqual(os.listdir(folder), [])
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "m.fpm")
            self.model.save(path)
            with fp.load(path, examples=self.meta) as loaded:
                a = loaded.predict(self.observed(), group_by="source", progress=False)
        b = self.model.predict(self.observed(), group_by="source", progress=False)
        pd.testing.assert_frame_equal(a.examples, b.examples)
        pd.testing.assert_frame_equal(a.groups, b.groups)
        # A closed model says so; a file that is not a model (a matrix, say) is refused when loaded, not at its first use.
        with self.assertRaisesRegex(fp.InputError, "this model is closed"):
            loaded.predict(self.observed(), progress=False)
        self.assertIn("(closed)", repr(loaded))
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "z.npy")
            np.save(path, self.z)
            with self.assertRaisesRegex(fp.InputError, r"z\.npy' is not a model file \(it does not start as one: b'\\x93NUMPY"):
                fp.load(path)

    def test_replay(self):
        chosen = self.model.replay(self.observed(), budget=12, strategy="topk", exclude=self.ids[:5], progress=False)
        self.assertEqual(len(chosen), 12)
        self.assertEqual(list(chosen.columns), ["example", "weight", "predicted", "group"])
        self.assertTrue(set(chosen["example"]).isdisjoint(self.ids[:5]))
        predicted = self.model.predict(self.observed(), progress=False).examples["predicted"].drop(self.ids[:5])
        self.assertEqual(set(chosen["example"]), set(predicted.nlargest(12).index))

    def test_replay_excludes_the_ids_of_any_iterable(self):
        # QA: a set, a generator or dict.keys() was taken as one id ("example '{2048, 1491}'").
        listed = self.model.replay(self.observed(), budget=12, strategy="topk", exclude=self.ids[:5], progress=False)
        for given in (set(self.ids[:5]), frozenset(self.ids[:5]), (i for i in self.ids[:5]), dict.fromkeys(self.ids[:5]).keys(),
                      np.array(self.ids[:5]), pd.Series(self.ids[:5]), tuple(reversed(self.ids[:5]))):
            with self.subTest(kind=type(given).__name__):
                chosen = self.model.replay(self.observed(), budget=12, strategy="topk", exclude=given, progress=False)
                pd.testing.assert_frame_equal(chosen, listed)
        # One id alone is still a list of one, and a set's ids go out in one order whatever the hash seed.
        self.assertEqual(fp._io.as_id_list(self.ids[0], "exclude"), [self.ids[0]])
        self.assertEqual(fp._io.as_id_list(np.int64(3), "exclude"), [3])
        self.assertEqual(fp._io.as_id_list({"b", "a", "c"}, "exclude"), ["a", "b", "c"])

    def test_replay_settings_are_converted_and_checked_as_the_client_does(self):
        # QA: np.float32(0.1) went to the engine as "0.1" and to the service as 0.10000000149011612; budget="10" was taken here
        # and refused by the service. One helper makes both the same.
        settings = fp._io.replay_settings(budget=np.int64(10), ratio=None, temperature=np.float32(0.1), seed=3.0)
        self.assertEqual(settings, {"budget": 10, "temperature": 0.1, "seed": 3})
        self.assertIs(type(settings["budget"]), int)
        self.assertIs(type(settings["temperature"]), float)
        a = self.model.replay(self.observed(), budget=np.int64(10), temperature=np.float32(0.1), seed=1, progress=False)
        b = self.model.replay(self.observed(), budget=10, temperature=0.1, seed=1, progress=False)
        pd.testing.assert_frame_equal(a, b)
        for arguments, message in (({"budget": "10"}, "budget='10' is not a whole number"),
                                   ({"budget": 2.5}, "budget=2.5 is not a whole number"),
                                   ({"budget": True}, "budget=True is not a whole number"),
                                   ({"budget": 5, "temperature": "0.1"}, "temperature='0.1' is not a number"),
                                   ({"budget": 5, "temperature": float("nan")}, "temperature=nan is not a finite number")):
            with self.subTest(arguments=arguments), self.assertRaises(ValueError) as caught:
                self.model.replay(self.observed(), progress=False, **arguments)
            self.assertIn(message, str(caught.exception))

    def test_replay_with_an_empty_exclusion_excludes_nothing_as_the_service_does(self):
        # The engine refuses an --exclude file with no rows; an empty list, as the service takes it, excludes nothing.
        everything = self.model.replay(self.observed(), budget=12, strategy="topk", progress=False)
        empty = self.model.replay(self.observed(), budget=12, strategy="topk", exclude=[], progress=False)
        pd.testing.assert_frame_equal(everything, empty)
        self.assertEqual(len(self.model.design(4, exclude=[], progress=False)), 4)

    def test_tables_the_engine_writes_are_read_to_the_bit(self):
        # pandas' default CSV float parser reads some shortest-repr doubles 1 ulp off; the engine's numbers come back exactly.
        values = [0.1 + 0.2, 1 / 3, 2.2250738585072014e-308, 0.30000000000000004, 123456.789e-17, -0.0072049987316131591]
        values += list(np.random.default_rng(3).normal(0, 0.3, 2000))
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "t.csv")
            with open(path, "w") as f:
                f.write("example,predicted\n" + "".join(f"{i},{v!r}\n" for i, v in enumerate(values)))
            read = fp._io.read_table(path)
        self.assertEqual([float(v) for v in values], list(read["predicted"]))

    def test_metadata_with_pandas_row_numbers_beside_an_id_column_in_other_rows_is_keyed_by_that_column_not_misaligned(self):
        # read_csv of a shuffled metadata file: the RangeIndex is row numbers, 'name' holds the ids in another order. The
        # engine reads such a table by 'name' (its first column, which can hold ids), and so does the package.
        table = self.meta.rename_axis("name").reset_index().sample(frac=1, random_state=0).reset_index(drop=True)
        with fp.fit(self.frame.iloc[1:], method="additive", examples=table, progress=False) as model:
            shuffled = model.predict(self.observed(), group_by="source", progress=False).groups
        with fp.fit(self.frame.iloc[1:], method="additive", examples=table.set_index("name"), progress=False) as model:
            groups = model.predict(self.observed(), group_by="source", progress=False).groups
        self.assertEqual(sorted(groups.index), ["alpha", "beta", "gamma"])
        pd.testing.assert_frame_equal(shuffled, groups)
        # Row numbers that are the ids themselves (an array's columns, in order) are fine.
        in_order = pd.DataFrame({"column": range(self.z.shape[1]), "source": self.meta["source"].to_numpy()})
        fp.fit(self.z[1:], method="additive", examples=in_order, progress=False).close()

    def test_a_list_of_sources_given_as_examples_is_named_as_such(self):
        sources = list(self.meta["source"])
        with self.assertRaisesRegex(fp.InputError, r"examples is a list, read as the example ids .* but 'alpha' is in it twice: to give each example's source"):
            fp.fit(self.z[1:], method="additive", examples=sources, progress=False)
        with self.assertRaisesRegex(fp.InputError, r"examples is a Series, read as the example ids .* but 'alpha' is in it twice: to give each example's source"):
            fp.fit(self.z[1:], method="additive", examples=self.meta["source"], progress=False)
        # A dict of columns is shown short, with the DataFrame that holds it.
        with self.assertRaises(fp.InputError) as caught:
            fp.fit(self.z[1:], method="additive", examples={"source": sources * 20}, progress=False)
        self.assertLess(len(caught.exception.message), 300)
        self.assertIn("pd.DataFrame(examples, index=ids)", caught.exception.message)

    def test_metadata_that_names_none_of_the_columns_is_refused_at_fit(self):
        # Metadata keyed by other ids (another dataset's, or row numbers beside string column labels) would group nothing.
        other = self.meta.set_axis([f"x{j}" for j in range(len(self.meta))])
        with self.assertRaisesRegex(fp.InputError, r"examples: none of its \d+ ids is one of z's columns \(first id: 'x0'"):
            fp.fit(self.frame.iloc[1:], method="additive", examples=other, progress=False)

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
        self.assertEqual(list(following["order"]), [5, 6, 7, 8])  # numbered as one 8-cell design would
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
        # The command line's call is named as the package's (it had said "forgetpredict design MATRIX").
        self.assertIn("(fp.design(z, ...))", error.exception.message)
        self.assertNotIn("forgetpredict design", error.exception.message)

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

    def test_evaluate_reads_known_test_rows_and_test_tasks_as_numbers_and_ids_or_refuses_them_naming_the_argument(self):
        run = dict(methods="additive", seeds=1, progress=False)
        one = fp.evaluate(self.frame, test_rows=5, known=np.int64(10), **run)
        self.assertEqual(one.attrs["result"]["test_tasks"], [self.tasks[5]])
        self.assertEqual(list(one.index), ["additive"])  # one number: no curve
        curve = fp.evaluate(self.frame, test_tasks=self.tasks[2], known=np.array([0, 10]), **run)
        self.assertEqual(curve.attrs["result"]["settings"]["test_tasks"], [self.tasks[2]])  # one id, not its characters
        self.assertEqual(list(curve.index.get_level_values("known")), [0, 10])
        self.assertEqual(list(fp.evaluate(self.frame, test_rows=[1.0], known=[10.0, 20], **run).index.get_level_values("known")), [10, 20])
        for argument, value in (("known", "30"), ("known", [0.5]), ("known", "10,30"), ("known", True), ("known", [10, True]),
                                ("test_rows", "12"), ("test_rows", [1.5]), ("test_rows", False)):
            with self.assertRaises(fp.InputError) as caught:
                fp.evaluate(self.frame, **{"known": 10, "test_rows": [0, 1], argument: value}, **run)
            self.assertTrue(caught.exception.message.startswith(argument), caught.exception.message)
        commas = self.frame.rename(index={self.tasks[1]: "a,b"})
        with self.assertRaises(fp.InputError) as caught:
            fp.evaluate(commas, test_tasks=["a,b"], known=10, **run)
        self.assertIn("test_tasks: the task id 'a,b' cannot be passed", caught.exception.message)

    def test_result_tables_have_the_same_column_types_whatever_their_values(self):
        table = fp.evaluate(self.frame, methods=["additive", "mf"], test_rows=[0, 1], known=10, seeds=1, progress=False)
        for column in ("rmse_std", "mae_std", "f1", "precision", "recall", "auc"):  # 0 or null in the JSON: floats still
            self.assertEqual(table[column].dtype, np.float64, column)
        self.assertTrue(table["f1"].isna().all())
        self.assertEqual(table["cells_per_seed"].dtype, np.int64)
        none = self.model.replay(budget=0, progress=False)
        some = self.model.replay(budget=3, progress=False)
        self.assertEqual(len(none), 0)
        pd.testing.assert_series_equal(none.dtypes, some.dtypes)
        with fp.fit(self.z[1:], method="additive", progress=False) as positions:  # integer ids: an int64 column, empty or not
            self.assertEqual(positions.replay(budget=0, progress=False)["example"].dtype, np.int64)

    def test_evaluate_binary_scores_a_01_matrix_and_refuses_another(self):
        forgotten = (self.frame > self.frame.stack().quantile(0.9)).astype(float)
        table = fp.evaluate(forgotten, methods="logistic", test_rows=[0, 1, 2], known=20, seeds=1, binary=True, progress=False)
        self.assertTrue(table.attrs["result"]["binary"])
        self.assertLessEqual(table.loc["logistic", "precision_at_k"], 1.0)
        with self.assertRaisesRegex(fp.EngineError, "needs a 0/1 matrix"):
            fp.evaluate(self.frame, methods="mf", test_rows=[0, 1, 2], known=20, seeds=1, binary=True, progress=False)

    def test_evaluate_passes_the_classification_threshold_on_to_score_logits(self):
        forgotten = (self.frame > self.frame.stack().quantile(0.9)).astype(float)
        rng = np.random.default_rng(3)
        p = (0.6 * forgotten + 0.4 * rng.random(forgotten.shape) + 0.001).clip(0.01, 0.99)
        logits = np.log(p / (1 - p))
        args = dict(methods="logistic", test_rows=[0, 1, 2], known=20, seeds=1, progress=False)
        at_half = fp.evaluate(forgotten, external={"lm": p}, **args).attrs["result"]["external"][0]
        at_zero = fp.evaluate(forgotten, external={"lm": logits}, threshold=0, **args).attrs["result"]
        self.assertEqual(at_zero["settings"]["threshold"], 0)
        for metric in ("f1", "precision", "recall", "auc"):
            self.assertAlmostEqual(at_zero["external"][0][metric], at_half[metric], places=9)
        with self.assertRaises(fp.EngineError) as caught:
            fp.evaluate(forgotten, external={"lm": logits}, **args)
        self.assertIn("must lie in [0, 1]", caught.exception.message)
        self.assertIn("threshold 0", caught.exception.message)
        self.assertNotIn("--", caught.exception.message)
        with self.assertRaisesRegex(fp.EngineError, "threshold is the classification threshold"):
            fp.evaluate(self.frame, methods="mf", test_rows=[0, 1, 2], known=20, seeds=1, threshold=0, progress=False)

    def test_evaluate_with_the_ridge_prior_folds_task_mean_in_as_the_mean_of_the_revealed_cells(self):
        # science.md: task-only predicts the row's mean; the ridge fold-in (a refit's answer) gives exactly that, the
        # default empirical prior shrinks it toward the training tasks' mean.
        def gaps(prior):
            table = fp.evaluate(self.frame, methods="task-mean", test_rows=[0, 1, 2], known=10, seeds=2, predictions=True,
                                prior=prior, progress=False)
            frame = table.attrs["predictions"]
            revealed = frame[frame["revealed"]].groupby(["seed", "task"])["actual"].mean()
            predicted = frame[~frame["revealed"]].groupby(["seed", "task"])["predicted"].mean()
            return table.attrs["result"]["settings"]["prior"], (predicted - revealed).abs().max()
        ridge, gap = gaps("ridge")
        self.assertEqual(ridge, "ridge")
        self.assertLess(gap, 1e-12)
        empirical, shrunk = gaps(None)
        self.assertEqual(empirical, "empirical")
        self.assertGreater(shrunk, 1e-6)
        with self.assertRaises(fp.InputError):
            fp.evaluate(self.frame, methods="task-mean", prior="flat", progress=False)

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

    def test_an_external_predictor_gives_one_set_per_draw_and_is_scored_on_its_own_draw(self):
        # mf's own predictions of each draw, given back as an external predictor per draw, score exactly as mf does; given as
        # one set for both draws (draw 0's), they do not, and a warning says so.
        run = dict(methods=["mf"], test_rows=[0, 1, 2], seeds=2, known=10, progress=False)
        table = fp.evaluate(self.frame, predictions=True, **run)
        p = table.attrs["predictions"]
        per_draw = [p[p.seed == d].pivot(index="task", columns="example", values="predicted") for d in (0, 1)]
        scored = fp.evaluate(self.frame, external={"mine": per_draw}, **run).attrs["result"]
        self.assertAlmostEqual({e["name"]: e["rmse"] for e in scored["external"]}["mine"], table.loc["mf", "rmse"], places=7)  # the engine reads predictions in single precision
        by_key = fp.evaluate(self.frame, external={"mine": {0: per_draw[0], 1: per_draw[1]}}, **run).attrs["result"]
        self.assertEqual(by_key["external"], scored["external"])
        with self.assertWarns(fp.EngineWarning):
            once = fp.evaluate(self.frame, external={"mine": per_draw[0]}, **run).attrs["result"]
        self.assertNotAlmostEqual({e["name"]: e["rmse"] for e in once["external"]}["mine"], table.loc["mf", "rmse"], places=6)
        with self.assertRaises(fp.InputError):
            fp.evaluate(self.frame, external={"mine": {"a": per_draw[0]}}, **run)

    def test_external_is_checked_and_its_messages_name_the_argument_not_the_packages_files(self):
        run = dict(methods=["mf"], test_rows=[0, 1], seeds=2, known=10, progress=False)
        p = fp.evaluate(self.frame, predictions=True, **run).attrs["predictions"]
        per_draw = [p[p.seed == d].pivot(index="task", columns="example", values="predicted") for d in (0, 1)]
        with self.assertWarns(fp.EngineWarning) as said:
            fp.evaluate(self.frame, external={"mine": per_draw[0]}, **run)
        self.assertTrue(str(said.warning).startswith("external['mine']: the same predictions are scored on every one of the 2 reveal draws"), said.warning)
        self.assertIn("give one set per draw: a list (draw 0, 1, ...) or a dict of draw to predictions", str(said.warning))
        refused = {  # what is given -> how the message starts
            "a=b": ("external: the name 'a=b' holds =", {"a=b": per_draw[0]}),
            "None": ("external['mine'] is None: give the predictor's predictions", {"mine": None}),
            "None in a list": ("external['mine'][1] is None", {"mine": [per_draw[0], None]}),
            "too few": ("external['mine'] has no predictions for draw 1: it gives one set per draw (draws 0..1)", {"mine": [per_draw[0]]}),
            "too few (k)": ("external['mine'] has no predictions for draw 0 and k 5", {"mine": {(0, 10): per_draw[0], (1, 10): per_draw[1]}}),
            "partial": ("external['mine'][0]: has predictions for", {"mine": [d.iloc[:, :5] for d in per_draw]}),
            # QA: a set for a draw the run does not have was ignored in silence.
            "too many": ("external['mine'] gives 3 sets of predictions (draws 0, 1, 2), but the run has draws 0..1 (seeds=2), so the set for "
                         "draw 2 would be ignored: give seeds=3 to score every set", {"mine": per_draw + [per_draw[0]]}),
            "too many (k)": ("external['mine'] gives 2 sets of predictions ((draw, k) (0, 10), (0, 20)), but the run has draws 0..1 at k 5, 10 "
                             "(seeds=2, known=[5, 10]), so the set for (draw, k) (0, 20) would be ignored", {"mine": {(0, 10): per_draw[0], (0, 20): per_draw[1]}}),
        }
        for case, (start, external) in refused.items():
            with self.subTest(case):
                with self.assertRaises(fp.EngineError) as caught:
                    fp.evaluate(self.frame, external=external, **{**run, "known": [5, 10] if "(k)" in case else 10})
                self.assertTrue(caught.exception.message.startswith(start), caught.exception.message)
                self.assertNotRegex(caught.exception.message, r"external-\d|--|\{draw\}")
        with self.assertRaises(fp.InputError):
            fp.evaluate(self.frame, external=[per_draw[0]], **run)

    def test_an_external_with_ids_written_as_decimals_is_scored_alike_as_a_frame_and_as_a_file(self):
        # QA: a file whose ids pandas wrote as floats ('0.0') was refused by the engine, while the package accepted the frame.
        run = dict(methods=["additive"], test_rows=[0, 1], seeds=1, known=10, progress=False)
        truth = pd.DataFrame(self.z)
        truth.index = truth.index.astype(float).rename("task")
        truth.columns = truth.columns.astype(float)
        folder = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, folder)
        path = os.path.join(folder, "decimals.csv")
        truth.to_csv(path)
        as_frame = fp.evaluate(self.z, external={"mine": truth}, **run).attrs["result"]["external"]
        as_file = fp.evaluate(self.z, external={"mine": path}, **run).attrs["result"]["external"]
        self.assertEqual(as_frame, as_file)
        self.assertEqual(as_file[0]["rmse"], 0)

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

    def test_a_bad_cell_is_named_by_the_argument_and_its_entry_not_a_deleted_temporary_file(self):
        with self.assertRaises(fp.EngineError) as caught:
            self.model.predict({self.ids[0]: float("inf")}, progress=False)
        self.assertTrue(caught.exception.message.startswith("observed: entry 1: column 'value': value 'inf' is not finite"), caught.exception.message)
        self.assertNotIn(tempfile.gettempdir(), caught.exception.details)
        self.assertNotIn("observed.csv", caught.exception.details)

    def test_engine_messages_name_the_argument_the_package_wrote_to_a_file_not_the_file(self):
        # The service names an unknown id of observed "observed: entry 1: ..."; locally alike, the entry counted from 1.
        with self.assertRaises(fp.EngineError) as caught:
            self.model.predict({self.ids[0]: 0.5, "no-such": 0.5}, progress=False)
        self.assertEqual(caught.exception.message, "observed: entry 2: column 'example': example 'no-such' is not one of the model's "
                         "300 example ids; check the ids, or refit the model on a matrix that has them.")
        for call in (lambda: self.model.replay({self.ids[0]: 0.5}, budget=3, exclude=["zz"], progress=False),
                     lambda: self.model.design(3, exclude=["zz"], progress=False),
                     lambda: fp.design(self.frame, 3, exclude=["zz"], progress=False)):
            with self.assertRaises(fp.EngineError) as caught:
                call()
            self.assertTrue(caught.exception.message.startswith("exclude: none of its 1 ids names an example, so it would exclude nothing: "
                                                                "example 'zz' is not one of the "), caught.exception.message)
        with warnings.catch_warnings(record=True) as caught_warnings:
            warnings.simplefilter("always")
            self.model.replay(budget=3, exclude=[self.ids[0], "zz"], progress=False)
        said = [str(w.message) for w in caught_warnings if issubclass(w.category, fp.EngineWarning)]
        self.assertTrue(any(m.startswith("exclude: 1 of its 2 ids name no example, so they are ignored: example 'zz'") for m in said), said)
        with self.assertRaises(fp.EngineError) as caught:
            self.model.predict(task_features={"lr": 1.0}, progress=False)
        self.assertEqual(caught.exception.message, "the model was fitted without task features; refit it with "
                         "fp.fit(..., task_features=...) to predict from features.")
        for call in (lambda: fp.analyze(np.zeros((0, 3)), progress=False), lambda: fp.fit(np.zeros((0, 3)), progress=False),
                     lambda: fp.fit(pd.DataFrame(np.zeros((0, 3)), columns=["a", "b", "c"]), progress=False),
                     lambda: fp.design(np.zeros((0, 3)), 1, progress=False)):
            with self.assertRaises(fp.EngineError) as caught:
                call()
            self.assertEqual(caught.exception.message, "z: the matrix has 0 tasks and 3 examples, so there is nothing to fit: a fit needs at least one "
                             "task (a row) and one example (a column). Check that the file holds the matrix and was written whole.")
            self.assertNotIn(".npz", caught.exception.details)

    def test_a_users_own_file_keeps_its_name_in_the_engines_messages(self):
        folder = tempfile.mkdtemp(prefix="fp-test-own-")
        self.addCleanup(shutil.rmtree, folder, True)
        self.model.save(os.path.join(folder, "model.fpm"))
        loaded = fp.load(os.path.join(folder, "model.fpm"))
        self.addCleanup(loaded.close)
        with self.assertRaises(fp.EngineError) as caught:
            loaded.predict(task_features={"lr": 1.0}, progress=False)
        self.assertTrue(caught.exception.message.startswith(f"{os.path.join(folder, 'model.fpm')} was fitted without task features"),
                        caught.exception.message)
        # A file of the caller's that bears the name of one of the package's (examples.csv) keeps its path and line.
        examples = os.path.join(folder, "examples.csv")
        pd.DataFrame({"id": [self.ids[0], self.ids[0]], "source": ["a", "b"]}).to_csv(examples, index=False)
        with fp.load(os.path.join(folder, "model.fpm"), examples=examples) as grouped:
            with self.assertRaises(fp.EngineError) as caught:
                grouped.predict(group_by="source", progress=False)
        self.assertTrue(caught.exception.message.startswith(f"{examples}:3: column 'id': example id 'ex/0' appears twice"),
                        caught.exception.message)

    def test_an_exclusion_naming_no_example_is_refused_without_the_command_lines_column_option(self):
        for call in (lambda: self.model.replay(exclude=["zz"], budget=3, progress=False), lambda: self.model.design(exclude=["zz"], progress=False)):
            with self.assertRaises(fp.EngineError) as caught:
                call()
            self.assertIn("example 'zz' is not one of the model's", caught.exception.message)
            self.assertNotIn("--", caught.exception.message)
            self.assertNotIn("ID", caught.exception.message)

    def test_a_fitted_model_says_it_is_unsaved_until_saved(self):
        with fp.fit(self.z[1:], method="additive", progress=False) as model:
            self.assertIn("unsaved (Model.save(path) keeps it)", repr(model))
            self.assertNotIn(tempfile.gettempdir(), repr(model))
            with tempfile.TemporaryDirectory() as folder:
                model.save(os.path.join(folder, "m.fpm"))
                self.assertIn(f"saved {os.path.join(folder, 'm.fpm')}", repr(model))
                self.assertNotIn("unsaved", repr(model))

    def test_observed_text_is_refused_naming_its_cell_even_when_it_reads_as_a_number(self):
        for observed, cell in ((pd.Series([0.5, "x"], index=self.ids[:2]), f"example '{self.ids[1]}' has the text 'x'"),
                               (pd.Series(["0.5", "x"], index=[0, 1]), "example 0 has the text '0.5'"),
                               (pd.Series(["0.5", "0.2"], index=self.ids[:2]), f"example '{self.ids[0]}' has the text '0.5'"),
                               ({self.ids[0]: 0.5, self.ids[1]: "0.2"}, f"example '{self.ids[1]}' has the text '0.2'"),
                               (pd.DataFrame({"example": self.ids[:2], "value": [0.1, "0.2"]}), f"example '{self.ids[1]}' has the text '0.2'")):
            with self.assertRaises(fp.InputError) as caught:
                self.model.predict(observed, by_index=isinstance(observed, pd.Series) and observed.index[0] == 0, progress=False)
            self.assertTrue(caught.exception.message.startswith(f"observed: {cell}, not a number"), caught.exception.message)
            self.assertIn("pd.to_numeric", caught.exception.message)

    def test_group_by_without_metadata_is_refused(self):
        with fp.fit(self.z[1:], method="additive", progress=False) as model:
            with self.assertRaises(ValueError):
                model.predict(group_by="source", progress=False)

    def test_fit_without_a_method_is_the_engines_default_auto(self):
        with fp.fit(self.z[1:], seed=0, progress=False) as model:
            self.assertTrue(model.summary.startswith("fitted auto"), model.summary)
            self.assertIn("with 30 known cells", model.summary)

    def test_fit_known_tunes_auto_for_that_many_cells_and_is_refused_where_it_does_not_apply(self):
        with fp.fit(self.z[1:], seed=0, known=5, progress=False) as model:
            self.assertIn("with 5 known cells", model.summary)
        with self.assertRaises(fp.EngineError) as caught:
            fp.fit(self.z[1:], method="mf", known=5, progress=False)
        self.assertIn("known does not apply to 'mf'", caught.exception.message)
        self.assertNotIn("--", caught.exception.message)

    def test_bad_input_shapes_are_refused_before_the_engine(self):
        with self.assertRaises(ValueError):
            fp.fit(np.zeros(5), progress=False)
        with self.assertRaises(ValueError):
            fp.fit(self.z, tasks=["a"], progress=False)

    def test_temporary_files_are_removed(self):
        folder = private_tempdir(self)
        model = fp.fit(self.frame.iloc[1:], method="additive", progress=False)
        model.predict(self.observed(), progress=False)
        with self.assertRaises(fp.EngineError):
            model.predict({"missing": 1.0}, progress=False)
        self.assertEqual(len(leftovers()), 1)  # the model's own folder, until it is closed
        model.close()
        self.assertEqual(os.listdir(folder), [])

    def test_a_killed_processs_folders_are_removed_by_the_next_process(self):
        # SIGTERM runs no cleanup (no atexit, no finalizers): the killed process's model folder stays, until another process
        # of the package makes a folder and finds its owner gone.
        folder = private_tempdir(self)
        script = ("import os, signal, tempfile, numpy as np, forgetpredict as fp\n"
                  f"tempfile.tempdir = {folder!r}\n"
                  "m = fp.fit(np.random.default_rng(0).random((6, 20)), method='additive', progress=False)\n"
                  "os.kill(os.getpid(), signal.SIGTERM)\n")
        child = subprocess.run([sys.executable, "-c", script], env=os.environ.copy(), timeout=120)
        self.assertEqual(child.returncode, -signal.SIGTERM)
        orphans = leftovers()
        self.assertEqual(len(orphans), 1, orphans)
        with fp.fit(self.frame.iloc[1:], method="additive", progress=False):
            self.assertTrue(orphans.isdisjoint(leftovers()))
        self.assertEqual(os.listdir(folder), [])

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


class PractitionerInputTests(unittest.TestCase):
    """What a Jupyter user hands the package, as it comes: masked arrays, ids pandas reads as missing, 64-bit hashes,
    float labels, metadata of the wrong shape; each is read as meant, given back as it went in, or refused naming the
    argument and the fix."""

    @classmethod
    def setUpClass(cls):
        cls.z, group = planted(tasks=16, examples=60, seed=2)
        cls.source = np.array(["alpha", "beta", "gamma"])[group]

    def fitted(self, z, **kwargs):
        method = kwargs.pop("method", "mf")
        # A seed only for a method that draws random numbers: the engine warns of one it would ignore (additive's).
        seed = {"seed": 0} if method in ("rank1", "mf", "logistic", "ensemble", "auto") else {}
        model = fp.fit(z, method=method, progress=False, **seed, **kwargs)
        self.addCleanup(model.close)
        return model

    def test_masked_cells_are_missing_like_nan_in_float_and_int_arrays(self):
        hidden = np.zeros(self.z.shape, dtype=bool)
        hidden[2, 3] = hidden[5, 0] = True
        with_nan = self.z.copy()
        with_nan[hidden] = np.nan
        expected = self.fitted(with_nan).predict(progress=False).examples
        wrong = self.z.copy()
        wrong[hidden] = -999.0  # what lies under the mask must not count
        masked = self.fitted(np.ma.masked_array(wrong, mask=hidden)).predict(progress=False).examples
        pd.testing.assert_frame_equal(masked, expected)

        # An integer matrix (say, counts) with a masked cell: the same as the float matrix with NaN there.
        counts = np.round(self.z * 100).astype(np.int64)
        filled = counts.astype(np.float64)
        filled[hidden] = np.nan
        under = counts.copy()
        under[hidden] = -999
        a = self.fitted(np.ma.masked_array(under, mask=hidden)).predict(progress=False).examples
        pd.testing.assert_frame_equal(a, self.fitted(filled).predict(progress=False).examples)

        # Measured cells: a masked 1-D array (by column position) and np.ma.masked in a dict are not measured.
        model = self.fitted(self.z[1:])
        row = np.ma.masked_array(np.where(np.arange(60) < 5, self.z[0], -999.0), mask=np.arange(60) >= 5)
        by_array = model.predict(row, progress=False).examples
        by_dict = model.predict({**{j: self.z[0, j] for j in range(5)}, 7: np.ma.masked}, progress=False).examples
        expected = model.predict(pd.Series(self.z[0, :5]), progress=False).examples
        pd.testing.assert_frame_equal(by_array, expected)
        pd.testing.assert_frame_equal(by_dict, expected)
        self.assertEqual(int(by_array["measured"].sum()), 5)
        # pd.NA and None (nullable dtypes, object columns) are not measured either; complex values are refused, not cut to
        # their real part.
        for missing in (pd.NA, None):
            by_na = model.predict({**{j: self.z[0, j] for j in range(5)}, 7: missing}, progress=False).examples
            pd.testing.assert_frame_equal(by_na, expected)
        for value in (1 + 2j, np.complex128(0.5 + 1j)):
            with self.assertRaisesRegex(fp.InputError, "example 3 has the complex value .*; give measured forgetting as real numbers"):
                model.predict({j: (value if j == 3 else self.z[0, j]) for j in range(5)}, progress=False)
        # A boolean (a mask passed by mistake) was read as a loss increase of 1; refused, in a dict, a Series or an array.
        for cells in ({j: (True if j == 3 else self.z[0, j]) for j in range(5)}, pd.Series([True, False, True], index=[0, 1, 3]),
                      np.array([True, False, True])):
            with self.assertRaisesRegex(fp.InputError, r"(has the boolean (True|False), not a measured value|is an array of booleans, not measured values); give measured forgetting as numbers"):
                model.predict(cells, progress=False)

    def test_ids_that_pandas_reads_as_missing_come_back_as_text(self):
        words = ["NA", "NaN", "nan", "null", "N/A", "None", "#N/A"]
        ids = words + [f"e{j}" for j in range(self.z.shape[1] - len(words))]
        frame = pd.DataFrame(self.z, index=[f"t{i}" for i in range(len(self.z))], columns=ids)
        frame.index = ["NA"] + list(frame.index[1:])
        model = self.fitted(frame)
        n = self.z.shape[1]
        self.assertEqual(set(fp.design(frame, n, progress=False).index), set(ids))
        self.assertEqual(set(model.design(n, progress=False).index), set(ids))
        self.assertEqual(list(model.predict({"NA": 0.3, "null": 0.2}, progress=False).examples.index), ids)
        self.assertEqual(set(model.replay(budget=n, strategy="topk", progress=False)["example"]), set(ids))
        predictions = fp.evaluate(frame, methods="additive", test_rows=[0, 1], known=5, predictions=True, progress=False).attrs["predictions"]
        self.assertEqual(set(predictions["example"]), set(ids))
        self.assertEqual(set(predictions["task"]), {"NA", "t1"})
        self.assertTrue(np.issubdtype(predictions["predicted"].dtype, np.floating))

    def test_integer_ids_beyond_int64_come_back_as_they_went_in(self):
        hashes = pd.Index(np.arange(self.z.shape[1], dtype=np.uint64) * np.uint64(2 ** 57) + np.uint64(2 ** 63 + 7))
        meta = pd.DataFrame({"source": self.source}, index=hashes)
        model = self.fitted(pd.DataFrame(self.z, columns=hashes), examples=meta)
        p = model.predict({hashes[0]: self.z[0, 0]}, group_by="source", progress=False)
        self.assertEqual(p.examples.index.dtype, np.uint64)
        self.assertTrue(p.examples.index.equals(hashes))
        self.assertEqual(p.examples.loc[p.groups["top_examples"].iloc[0], "group"].nunique(), 1)
        self.assertEqual(model.design(3, progress=False).index.dtype, np.uint64)
        self.assertTrue(set(model.replay(budget=4, progress=False)["example"]) <= set(hashes))

        big = [2 ** 80 + j for j in range(self.z.shape[1])]  # Python integers beyond 64 bits: object ints
        p = self.fitted(pd.DataFrame(self.z, columns=big)).predict(progress=False)
        self.assertEqual(list(p.examples.index), big)
        self.assertTrue(all(type(i) is int for i in p.examples.index))

    def test_text_and_integer_ids_side_by_side_each_come_back_of_their_own_type(self):
        n = self.z.shape[1]
        ids = ["held-out"] + list(range(n - 1))  # pandas keeps them as given: an object Index of a str and ints
        meta = pd.DataFrame({"source": self.source}, index=pd.Index(ids, dtype=object))
        grouped_model = self.fitted(pd.DataFrame(self.z[1:], columns=ids), examples=meta)
        for model in (self.fitted(self.z[1:], examples=ids), grouped_model):
            p = model.predict({"held-out": self.z[0, 0], 0: self.z[0, 1]}, progress=False)
            self.assertEqual(list(p.examples.index), ids)
            self.assertEqual([type(i) for i in p.examples.index], [str] + [int] * (n - 1))
            self.assertEqual(p.examples.loc[0, "measured_value"], self.z[0, 1])
            self.assertEqual(p.examples.loc["held-out", "measured_value"], self.z[0, 0])
            self.assertEqual(list(p.measured.index), ["held-out", 0])
            replayed = model.replay(budget=n, strategy="topk", progress=False)["example"]
            self.assertEqual(sorted(replayed, key=str), sorted(ids, key=str))
            self.assertTrue(all(type(i) is (str if i == "held-out" else int) for i in model.design(n - 1, progress=False).index))
        grouped = grouped_model.predict(group_by="source", progress=False)
        top = [i for t in grouped.groups["top_examples"] for i in t]
        self.assertEqual(list(grouped.examples["group"]), list(self.source))
        self.assertEqual(len(grouped.examples.loc[top]), len(top))
        with tempfile.TemporaryDirectory() as folder:
            model.save(os.path.join(folder, "m.fpm"))
            with fp.load(os.path.join(folder, "m.fpm")) as loaded:  # the model file says so
                self.assertEqual(list(loaded.predict(progress=False).examples.index), ids)
        designed = fp.design(pd.DataFrame(self.z, columns=ids), n - 1, progress=False).index
        self.assertTrue(all(type(i) is (str if i == "held-out" else int) for i in designed), list(designed))
        scored = fp.evaluate(pd.DataFrame(self.z, columns=ids, index=["t"] + list(range(len(self.z) - 1))), methods="additive",
                             test_rows=[0, 1], known=5, seeds=1, predictions=True, progress=False).attrs["predictions"]
        self.assertEqual(set(map(type, scored["example"])), {str, int})
        self.assertEqual(set(scored["task"]), {"t", 0})

    def test_ids_that_could_not_come_back_of_their_own_types_are_refused_at_fit_naming_the_fix(self):
        n = self.z.shape[1]
        cases = [(["1"] + list(range(2, n + 1)), "the text id '1' spells a whole number"),
                 (["a", 0.5] + list(range(n - 2)), "the ids mix text ('a') and a float (0.5)"),
                 (["a", True] + list(range(2, n)), "the ids mix text ('a') and a boolean (True)")]
        for ids, said in cases:
            for call, argument, fix in ((lambda: fp.fit(pd.DataFrame(self.z, columns=ids), progress=False), "z's columns", "z.columns.astype(str)"),
                                        (lambda: fp.fit(self.z, examples=ids, progress=False), "examples", "[str(i) for i in examples]"),
                                        (lambda: fp.design(pd.DataFrame(self.z, columns=ids), progress=False), "z's columns", "z.columns.astype(str)")):
                with self.assertRaises(fp.InputError) as caught:
                    call()
                message = caught.exception.message
                self.assertTrue(message.startswith(f"{argument}: "), message)
                self.assertIn(said, message)
                self.assertTrue(message.endswith(f"give them all as text (e.g. {fix}) or all as numbers, so they come back as they went in."), message)

    def test_the_id_kind_survives_save_and_load_and_reaches_the_group_lists(self):
        meta = pd.DataFrame({"source": self.source})  # by column position: the array's ids are integers
        model = self.fitted(self.z[1:], examples=meta)
        cells = pd.Series(self.z[0, :10])
        fitted = model.predict(cells, group_by="source", progress=False)
        self.assertEqual(fitted.examples.index.dtype, np.int64)
        top = fitted.groups["top_examples"].iloc[0]
        self.assertTrue(all(type(i) is int for i in top), top)
        self.assertEqual(list(fitted.examples.loc[top, "group"].unique()), [fitted.groups.index[0]])
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "m.fpm")
            model.save(path)
            with fp.load(path) as loaded:  # no metadata given: the model file says the ids were integers
                p = loaded.predict(cells, progress=False)
                self.assertEqual(p.examples.index.dtype, np.int64)
                pd.testing.assert_frame_equal(p.examples[["predicted", "std"]], fitted.examples[["predicted", "std"]])
                self.assertEqual(loaded.design(3, progress=False).index.dtype, np.int64)
            with fp.load(path, examples=meta) as loaded:
                pd.testing.assert_frame_equal(loaded.predict(cells, group_by="source", progress=False).groups, fitted.groups)

        floats = [float(10 * j) for j in range(self.z.shape[1])]  # float labels: the same ids as the integers they equal
        model = self.fitted(pd.DataFrame(self.z[1:], columns=floats))
        p = model.predict(pd.Series([0.4, 0.5], index=[0.0, 10.0]), progress=False)
        self.assertEqual(list(p.examples.index), floats)
        self.assertEqual(list(p.measured.index), [0.0, 10.0])
        pd.testing.assert_frame_equal(model.predict({0: 0.4, 10: 0.5}, progress=False).examples, p.examples)
        with tempfile.TemporaryDirectory() as folder:
            model.save(os.path.join(folder, "f.fpm"))
            with fp.load(os.path.join(folder, "f.fpm")) as loaded:
                self.assertEqual(list(loaded.predict(progress=False).examples.index), floats)

    def test_a_model_fitted_by_the_command_line_gives_text_ids(self):
        from forgetpredict import _engine

        with tempfile.TemporaryDirectory() as folder:
            np.save(os.path.join(folder, "z.npy"), self.z)
            _engine.run(["fit", os.path.join(folder, "z.npy"), "--method", "additive", "--out", os.path.join(folder, "m.fpm")], progress=False)
            with fp.load(os.path.join(folder, "m.fpm")) as loaded:
                self.assertEqual(list(loaded.predict(progress=False).examples.index), [str(j) for j in range(self.z.shape[1])])
            with fp.load(os.path.join(folder, "m.fpm"), examples=pd.DataFrame({"source": self.source})) as loaded:
                self.assertEqual(loaded.predict(progress=False).examples.index.dtype, np.int64)

    def test_metadata_read_by_read_csv_is_keyed_as_the_command_line_keys_its_file(self):
        # charlm-b/upstream.csv (column,source) read with pandas' default index: the command line reads it by 'column' and
        # groups by 'source'; the package, handed the frame, keys it by 'column' too (not by the row numbers, which would
        # leave 'column' as a second group column and no groups), whatever its row order.
        root = os.environ.get("FP_REPO_ROOT") or os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
        data = os.path.join(root, "data", "charlm-b")
        z = np.load(os.path.join(data, "z.npy"))[:, :400]
        upstream = pd.read_csv(os.path.join(data, "upstream.csv"))
        from forgetpredict import _engine

        with tempfile.TemporaryDirectory() as folder:
            np.save(os.path.join(folder, "z.npy"), z)
            pd.DataFrame({"example": [1], "value": [0.3]}).to_csv(os.path.join(folder, "cells.csv"), index=False)
            _engine.run(["fit", os.path.join(folder, "z.npy"), "--method", "additive", "--out", os.path.join(folder, "m.fpm")], progress=False)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # the file's 2,000 rows beyond the 400 examples
                _engine.run(["predict", "--model", os.path.join(folder, "m.fpm"), "--observed", os.path.join(folder, "cells.csv"),
                             "--examples", os.path.join(data, "upstream.csv"), "--json", os.path.join(folder, "p.json")], progress=False)
            with open(os.path.join(folder, "p.json")) as f:
                command_line = {g["name"]: g["count"] for g in json.load(f)["groups"]}
        self.assertEqual(command_line, {"license": 400})
        for examples in (upstream.iloc[:400], upstream.iloc[:400].sample(frac=1, random_state=0).reset_index(drop=True)):
            with warnings.catch_warnings():
                warnings.simplefilter("error", fp.EngineWarning)  # no "2 columns to group by (column, source)"
                model = self.fitted(z, method="additive", examples=examples)
                p = model.predict({1: .3}, progress=False)
            self.assertEqual(dict(p.groups["count"]), command_line)
            self.assertEqual(p.examples.index.dtype, np.int64)  # the 'column' ids, integers, as given
        # A frame of group columns only is keyed by its row numbers, as the engine keys such a file.
        model = self.fitted(z, method="additive", examples=upstream.iloc[:400][["source"]])
        self.assertEqual(dict(model.predict({1: .3}, progress=False).groups["count"]), command_line)
        # A first column that cannot hold ids beside one that can: the engine would read the ids from the first and refuse
        # them at predict; the package refuses at fit, naming the argument and the column that holds them.
        with self.assertRaises(fp.InputError) as caught:
            fp.fit(z, method="additive", examples=upstream.iloc[:400][["source", "column"]], progress=False)
        self.assertIn("examples.set_index('column')", caught.exception.message)
        # A column of distinct decimals (a base loss) is a measurement, not ids, in either order: the row numbers stay the
        # ids, as the engine keys such a file.
        losses = pd.DataFrame({"base_loss": np.random.default_rng(0).random(400).round(3) + 0.001 * np.arange(400),
                               "source": upstream.iloc[:400]["source"].values})
        for frame in (losses, losses[["source", "base_loss"]]):
            model = self.fitted(z, method="additive", examples=frame)
            p = model.predict({1: .3}, group_by="source", progress=False)
            self.assertEqual(list(p.examples.index[:3]), [0, 1, 2])
            self.assertEqual(dict(p.groups["count"]), command_line)

    def test_engine_messages_about_metadata_name_the_argument_not_the_packages_file(self):
        meta = pd.DataFrame({"source": self.source, "shard": np.arange(self.z.shape[1]) % 2})
        model = self.fitted(self.z[1:], examples=meta)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model.predict({0: self.z[0, 0]}, progress=False)
        messages = [str(w.message) for w in caught if issubclass(w.category, fp.EngineWarning)]
        self.assertTrue(any(m.startswith("examples has 2 columns to group by (source, shard)") for m in messages), messages)
        self.assertFalse(any("examples.csv" in m for m in messages), messages)

    def test_tuple_ids_are_refused_at_fit_as_a_multiindex_is(self):
        # Tuple labels in a plain Index were read as the text "(1, 2)" at fit, while observed={(3, 4): ...} was refused as a
        # MultiIndex: an id is one value, refused alike everywhere, naming the argument.
        labels = [(j, j + 1) for j in range(self.z.shape[1])]
        frame = pd.DataFrame(self.z, columns=pd.Index(labels, tupleize_cols=False))
        self.assertEqual(type(frame.columns), pd.Index)
        with self.assertRaisesRegex(fp.InputError, r"^z's columns: the id \(0, 1\) is a tuple; an id is one value"):
            fp.fit(frame, method="additive", progress=False)
        with self.assertRaisesRegex(fp.InputError, r"^examples: the id \(0, 1\) is a tuple"):
            fp.fit(self.z, method="additive", examples=labels, progress=False)
        with self.assertRaisesRegex(fp.InputError, r"^tasks: the id \('a', 0\) is a tuple"):
            fp.fit(self.z, method="additive", tasks=[("a", i) for i in range(self.z.shape[0])], progress=False)
        model = self.fitted(self.z, method="additive")
        with self.assertRaisesRegex(fp.InputError, "MultiIndex"):
            model.predict({(3, 4): 0.3}, progress=False)

    def test_bytes_ids_are_decoded_as_utf8_and_come_back_as_that_text(self):
        names = [f"ex-{j}-é" for j in range(self.z.shape[1])]
        encoded = [n.encode("utf-8") for n in names]
        for given in (pd.DataFrame(self.z, columns=encoded), self.z):
            model = self.fitted(given, method="additive", **({} if isinstance(given, pd.DataFrame) else {"examples": np.array(encoded)}))
            by_bytes = model.predict({encoded[3]: 0.3}, progress=False).examples
            by_text = model.predict({names[3]: 0.3}, progress=False).examples
            self.assertEqual(list(by_bytes.index), names)  # not "b'ex-0-\\xc3\\xa9'"
            pd.testing.assert_frame_equal(by_bytes, by_text)
            self.assertTrue(by_bytes.loc[names[3], "measured"])
        with self.assertRaisesRegex(fp.InputError, r"^z's columns: b'\\xc3\\xa9' and 'é' are both the id 'é'"):  # one id, given twice
            fp.fit(pd.DataFrame(self.z[:, :2], columns=pd.Index(["é".encode("utf-8"), "é"], dtype=object)), method="additive", progress=False)
        with self.assertRaisesRegex(fp.InputError, r"^z's columns: the id b'\\xe9' is bytes that are not UTF-8 text"):
            fp.fit(pd.DataFrame(self.z[:, :2], columns=pd.Index([b"\xe9", b"a"], dtype=object)), method="additive", progress=False)

    def test_text_ids_that_spell_one_number_two_ways_are_refused_at_fit_as_the_engine_refuses_them_in_a_file(self):
        from forgetpredict import _engine

        header = ["1.0", "1"] + [str(j) for j in range(2, self.z.shape[1])]
        with tempfile.TemporaryDirectory() as folder:  # the command line, given the same ids in a CSV file
            path = os.path.join(folder, "z.csv")
            pd.DataFrame(self.z, columns=header).to_csv(path)
            with self.assertRaisesRegex(fp.EngineError, r"Ids '1\.0' and '1' \(positions 0 and 1\) are one number written two ways"):
                _engine.run(["fit", path, "--method", "additive", "--out", os.path.join(folder, "m.fpm")], progress=False)
        with self.assertRaisesRegex(fp.InputError, r"^z's columns: '1\.0' and '1' are one number written two ways"):
            fp.fit(pd.DataFrame(self.z, columns=header), method="additive", progress=False)
        with self.assertRaisesRegex(fp.InputError, r"^tasks: '-0' and '0\.00' are one number written two ways"):
            fp.fit(self.z, method="additive", tasks=["-0", "0.00"] + [f"t{i}" for i in range(2, self.z.shape[0])], progress=False)
        # Text that is no number, or not one way of writing it ('01', '1.5', '1e0'), is an id like any other, as given.
        other = ["01", "1", "1.5", "1e0"] + [str(j) for j in range(4, self.z.shape[1])]
        model = self.fitted(pd.DataFrame(self.z, columns=other), method="additive")
        self.assertEqual(list(model.predict({"01": 0.3}, progress=False).examples.index), other)

    def test_predict_without_group_by_needs_no_choice_among_several_metadata_columns(self):
        meta = pd.DataFrame({"source": self.source, "shard": np.arange(self.z.shape[1]) % 2})
        model = self.fitted(self.z[1:], examples=meta)
        p = model.predict({0: self.z[0, 0]}, progress=False)
        self.assertEqual(len(p.examples), self.z.shape[1])
        self.assertEqual(len(p.groups), 0)
        self.assertEqual(len(model.replay(budget=5, progress=False)), 5)
        self.assertEqual(len(model.design(3, progress=False)), 3)
        self.assertEqual(len(fp.design(self.z, 3, examples=meta, progress=False)), 3)
        self.assertEqual(sorted(model.predict(group_by="shard", progress=False).groups.index), ["0", "1"])
        with tempfile.TemporaryDirectory() as folder:  # the same with the metadata as a file given to load
            model.save(os.path.join(folder, "m.fpm"))
            meta.rename_axis("column").to_csv(os.path.join(folder, "meta.csv"))
            with fp.load(os.path.join(folder, "m.fpm"), examples=os.path.join(folder, "meta.csv")) as loaded:
                self.assertEqual(len(loaded.predict(progress=False).groups), 0)
                self.assertEqual(sorted(loaded.predict(group_by="source", progress=False).groups.index), ["alpha", "beta", "gamma"])
        with self.assertRaises(fp.EngineError) as caught:  # a stratified replay needs groups: the engine asks which column
            model.replay(budget=6, strategy="stratified", progress=False)
        self.assertIn("group_by", caught.exception.message)
        self.assertNotIn("--", caught.exception.message)

    def test_evaluate_takes_methods_as_a_string(self):
        one = fp.evaluate(self.z, methods="additive", test_rows=[0, 1], known=5, progress=False)
        self.assertEqual(list(one.index), ["additive"])
        two = fp.evaluate(self.z, methods="additive, mf", test_rows=[0, 1], known=5, progress=False)
        self.assertEqual(list(two.index), ["additive", "mf"])
        # threads as fit takes it: the same scores for any number.
        one_thread = fp.evaluate(self.z, methods="additive, mf", test_rows=[0, 1], known=5, threads=1, progress=False)
        pd.testing.assert_frame_equal(two.drop(columns="seconds"), one_thread.drop(columns="seconds"))

    def test_inputs_are_read_as_meant_or_refused_naming_the_argument(self):
        # Metadata of another length than an array's columns: joined by column position as a DataFrame's columns are
        # joined by id (both warn about the examples without metadata); ids that are not positions are refused.
        short = pd.DataFrame({"source": self.source[:30]})
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            by_array = self.fitted(self.z[1:], examples=short).predict(group_by="source", progress=False)
            by_frame = self.fitted(pd.DataFrame(self.z[1:]), examples=short).predict(group_by="source", progress=False)
        pd.testing.assert_frame_equal(by_array.groups, by_frame.groups)
        self.assertEqual(sum("have no metadata row" in str(w.message) for w in caught), 2)
        with self.assertRaises(fp.InputError) as refused:
            fp.fit(self.z, examples=pd.DataFrame({"source": ["a", "b"]}, index=["x", "y"]), progress=False)
        self.assertIn("examples has 2 rows of metadata for the 60 columns of z", refused.exception.message)
        with self.assertRaises(fp.InputError) as refused:
            fp.fit(self.z, examples=pd.DataFrame({"source": self.source}, index=pd.MultiIndex.from_arrays([range(60), range(60)])), progress=False)
        self.assertIn("examples: the index (the ids) is a MultiIndex", refused.exception.message)
        with self.assertRaises(fp.InputError) as refused:
            fp.fit(pd.DataFrame({"a": [0.1, 0.2, 0.3], "b": [0.1, "x", 0.2]}), progress=False)
        self.assertIn("z: column 'b' holds 'x'", refused.exception.message)
        with self.assertRaises(fp.InputError) as refused:  # two labels the engine would read as one id
            fp.fit(pd.DataFrame(self.z[:, :2], columns=[1, "1"]), progress=False)
        self.assertIn("z's columns: 1 and '1' are both the id '1'", refused.exception.message)
        for labels, where in ((dict(columns=["a", None]), "z's columns"), (dict(index=["t", None]), "z's index")):
            with self.assertRaises(fp.InputError) as refused:  # refused as a NaN label is, not fitted as the id "None"
                fp.fit(pd.DataFrame(self.z[:2, :2], **labels), method="additive", progress=False)
            self.assertIn(f"{where}: an id is None", refused.exception.message)
        model = self.fitted(self.z[1:], method="additive")
        for scalar in (0.5, "0.5"):
            with self.assertRaises(fp.InputError) as refused:
                model.predict(scalar, progress=False)
            self.assertIn("is a single value, not measured cells", refused.exception.message)
        with self.assertRaises(fp.InputError) as refused:
            model.predict({0: "high"}, progress=False)
        self.assertIn("observed: example 0 has the text 'high'", refused.exception.message)
        with self.assertRaises(ValueError):  # InputError is a ValueError too
            model.predict(top=-1, progress=False)

    def test_choices_and_counts_are_refused_naming_the_argument(self):
        model = self.fitted(self.z[1:], method="additive")
        for call, expected in ((lambda: model.predict(prior="bogus", progress=False), "prior='bogus' is not one of 'empirical', 'ridge'"),
                               (lambda: model.replay(budget=3, strategy="bogus", progress=False), "strategy='bogus' is not one of"),
                               (lambda: model.design(3, criterion="bogus", progress=False), "criterion='bogus' is not one of"),
                               (lambda: fp.evaluate(self.z, reveal_rng="bogus", progress=False), "reveal_rng='bogus' is not one of"),
                               (lambda: model.predict(top=-1, progress=False), "top must be a whole number of at least 0 (got -1)"),
                               (lambda: model.design(0, progress=False), "count must be a whole number of at least 1 (got 0)")):
            with self.assertRaises(fp.InputError) as refused:
                call()
            self.assertIn(expected, refused.exception.message)

    def test_save_replaces_the_file_whole_or_leaves_it_as_it_was(self):
        # The engine writes the copy (convert), beside the target and renamed over it; its tests interrupt it and fill the disk.
        model = self.fitted(self.z[1:], method="additive")
        folder = tempfile.mkdtemp(prefix="fp-save-")
        self.addCleanup(shutil.rmtree, folder, True)
        target = os.path.join(folder, "m.fpm")
        with open(target, "wb") as f:
            f.write(b"the old model")
        with mock.patch.object(type(model), "path", new_callable=mock.PropertyMock, return_value=os.path.join(folder, "gone.fpm")):
            with self.assertRaises(fp.EngineError):
                model.save(target)  # a model file that cannot be read: nothing is written
        with open(target, "rb") as f:
            self.assertEqual(f.read(), b"the old model")
        self.assertEqual(os.listdir(folder), ["m.fpm"])  # no temporary file left
        link = os.path.join(folder, "link.fpm")
        os.symlink(target, link)
        model.save(link)
        self.assertTrue(os.path.islink(link))
        self.assertEqual(sorted(os.listdir(folder)), ["link.fpm", "m.fpm"])
        with open(target, "rb") as saved, open(model.path, "rb") as original:
            self.assertEqual(saved.read(), original.read())  # the model byte for byte, through the link
        missing = os.path.join(folder, "no-such-folder", "m.fpm")
        with self.assertRaises(fp.EngineError) as refused:
            model.save(missing)
        self.assertIn(missing, refused.exception.message)  # not the hidden temporary file
        self.assertEqual(sorted(os.listdir(folder)), ["link.fpm", "m.fpm"])

    def test_arguments_left_out_take_the_engines_defaults(self):
        # top, strategy and count left out are not sent: the engine's defaults apply, never a copy of them kept here.
        from forgetpredict import _engine

        model = self.fitted(self.z[1:], method="mf")
        row = self.z[0]
        cells = pd.Series(row[:30], index=range(30))
        sent = []
        real = _engine.run
        with mock.patch.object(_engine, "run", side_effect=lambda args, progress=True, **kw: sent.append([str(a) for a in args]) or real(args, progress, **kw)):
            model.predict(cells, progress=False)
            model.replay(cells, budget=3, progress=False)
            chosen = model.design(progress=False)
            fp.design(self.z[1:], progress=False)
        self.assertEqual([a[0] for a in sent], ["predict", "replay", "design", "design"])
        for args in sent:
            self.assertFalse({"--top", "--strategy", "--count"} & set(args), args)
        self.assertEqual(len(chosen), 10)  # design's default count, as `design --help` gives it

    def test_evaluate_messages_name_allow_partial_and_the_argument_given_a_bad_choice(self):
        # evaluate with an external predictor that misses test cells: the fix is an argument, not a command-line option.
        partial = pd.DataFrame(self.z.copy())
        partial.iloc[:, :5] = np.nan
        with self.assertRaises(fp.EngineError) as caught:
            fp.evaluate(self.z, methods="additive", test_rows=[0, 1], known=5, external={"mine": partial}, progress=False)
        self.assertIn("allow_partial=True", caught.exception.message)
        self.assertNotIn("--", caught.exception.message)
        table = fp.evaluate(self.z, methods="additive", test_rows=[0, 1], known=5, external={"mine": partial}, allow_partial=True, progress=False)
        self.assertEqual(list(table.index), ["additive"])
        # The parser's own refusal of a choice names the argument too (a value the package does not check).
        from forgetpredict import _engine

        self.assertEqual(_engine._named_choice("Argument 'x' not recognized. Must be one of: 'a' 'b'", ["fit", "--method", "x"]),
                         "method='x' is not one of 'a', 'b'.")


class RepeatedMetadataIdTests(unittest.TestCase):
    def test_metadata_with_a_repeated_id_is_refused_naming_the_dataframe_rows(self):
        # QA: the engine's refusal named "examples:2402: column 'id'", a line of a temporary file the user never saw.
        z = np.random.default_rng(0).normal(size=(6, 5))
        meta = pd.DataFrame({"source": ["a", "b", "a", "b", "a", "b"]}, index=["e0", "e1", "e2", "e3", "e4", "e2"])
        with self.assertRaises(ValueError) as caught:
            fp.fit(pd.DataFrame(z, columns=[f"e{j}" for j in range(5)]), method="additive", examples=meta, progress=False)
        message = str(caught.exception)
        self.assertIn("examples: the id 'e2' (its index) is in two rows of the DataFrame, positions 2 and 5; keep one row per id", message)
        self.assertNotIn("examples.csv", message)
        by_column = meta.reset_index().rename(columns={"index": "id"})
        with self.assertRaises(ValueError) as caught:
            fp.fit(pd.DataFrame(z, columns=[f"e{j}" for j in range(5)]), method="additive", examples=by_column, progress=False)
        self.assertIn("the id 'e2' (column 'id') is in two rows of the DataFrame, positions 2 and 5", str(caught.exception))


class DocstringTests(unittest.TestCase):
    def test_every_parameter_is_documented(self):
        import inspect

        documented = [fp.fit, fp.evaluate, fp.analyze, fp.design, fp.Model.predict, fp.Model.replay, fp.Model.design,
                      fp.RemoteModel.replay, fp.RemoteModel.design, fp.Client]
        for function in documented:
            doc = inspect.getdoc(function)
            parameters = inspect.signature(function).parameters
            for name in parameters:
                if name not in ("self", "progress", "url"):
                    self.assertTrue(f"``{name}``" in doc or f"``{name}=" in doc, f"{function.__qualname__}: {name}")
        self.assertIn("``progress``", fp.__doc__)  # said once, for every call that takes it

class ChoiceListTests(unittest.TestCase):
    def test_the_packages_choice_lists_are_the_engines(self):
        # The package checks choices itself, to name the Python argument; its lists must be the engine's, read from the
        # engine's help (a choice list, or the choices its description names).
        from forgetpredict import _io
        import re
        def helptext(command):
            return subprocess.run(fp.find_engine() + [command, "--help"], capture_output=True, text=True, check=True).stdout
        listed = {"prior": ("predict", "--prior"), "strategy": ("replay", "--strategy"), "reveal": ("evaluate", "--reveal"),
                  "reveal_rng": ("evaluate", "--reveal-rng")}
        for argument, (command, option) in listed.items():
            found = re.search(re.escape(option) + r" <([^>]+)>", helptext(command))
            self.assertIsNotNone(found, option)
            self.assertEqual(sorted(found.group(1).split("|")), sorted(_io.CHOICES[argument]), argument)
        for argument, (command, option) in {"criterion": ("design", "--criterion"), "active_criterion": ("evaluate", "--active-criterion")}.items():
            line = next(l for l in helptext(command).splitlines() if l.strip().startswith(option + " "))
            named = [c for c in ("v-optimal", "d-optimal", "group-means", "neighbours") if c in line]
            self.assertTrue(set(named) <= set(_io.CHOICES[argument]), (argument, named))
            self.assertTrue({"v-optimal", "d-optimal", "group-means"} <= set(named), (argument, line))

    def test_the_packages_copies_of_evaluates_defaults_are_the_engines(self):
        # evaluate checks an external's per-draw sets against the draws and k the run has before it runs, so it keeps the
        # engine's defaults of --seeds and --known; they must be the ones the engine's help gives.
        from forgetpredict import _model
        import re
        text = subprocess.run(fp.find_engine() + ["evaluate", "--help"], capture_output=True, text=True, check=True).stdout
        defaults = {option: re.search(r"\[default: (\d+)\]", next(l for l in text.splitlines() if l.strip().startswith(option + " "))) for option in ("--seeds", "--known")}
        self.assertEqual(int(defaults["--seeds"].group(1)), _model._DEFAULT_SEEDS)
        self.assertEqual(int(defaults["--known"].group(1)), _model._DEFAULT_KNOWN)


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
        with mock.patch.dict(os.environ, {"FORGETPREDICT": "dotnet /nonexistent/forgetpredict.dll"}):
            with self.assertRaises(fp.EngineNotFound) as caught:
                fp.analyze(np.ones((3, 3)), progress=False)
        self.assertIn("FORGETPREDICT", caught.exception.message)
        self.assertIn("/nonexistent/forgetpredict.dll does not exist", caught.exception.message)

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
        with mock.patch.dict(os.environ, {"FORGETPREDICT": "/nonexistent/forgetpredict"}):
            with self.assertRaises(fp.EngineNotFound) as caught:
                fp.analyze(np.ones((3, 3)), progress=False)
        self.assertIn("FORGETPREDICT", caught.exception.message)


if __name__ == "__main__":
    unittest.main()
