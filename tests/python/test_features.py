"""Task and example features through the package on the bundled charlm-d matrix: fit, cold-start predict, replay and the
evaluation curve; the default threshold and the measured-cell marks of a prediction."""
import os
import tempfile
import unittest

import numpy as np
import pandas as pd

import forgetpredict as fp

HELD_OUT = 5


def charlm_d():
    root = os.environ.get("FP_REPO_ROOT") or os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
    return os.path.join(root, "data", "charlm-d")


def assert_top_lists_are_found(test, p, examples=None):
    """Every id of every group's top list is in p.examples (top_new False, the model's id kind) or p.cold_examples (top_new
    True, text), in that group, most forgotten first. ``examples``: the model's every example, for a service answer, whose
    ``examples`` are its top list alone."""
    examples = p.examples if examples is None else examples
    for name, row in p.groups.iterrows():
        test.assertEqual(len(row["top_new"]), len(row["top_examples"]))
        predicted = []
        for example, is_new in zip(row["top_examples"], row["top_new"]):
            frame = p.cold_examples if is_new else examples
            test.assertIn(example, frame.index, (name, example, is_new))
            test.assertIs(type(example), str if is_new else type(examples.index.tolist()[0]))  # the model's: as a list of its ids
            test.assertEqual(frame.loc[example, "group"], name)
            predicted.append(frame.loc[example, "predicted"])
        test.assertEqual(predicted, sorted(predicted, reverse=True))


class FeatureTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        folder = charlm_d()
        cls.folder = folder
        cls.z = np.load(os.path.join(folder, "z.npy"))
        table = pd.read_csv(os.path.join(folder, "tasks.csv"))
        cls.settings = table.set_index("task")[["family", "lr", "steps"]]
        cls.embedding = np.load(os.path.join(folder, "task_emb.npy"))
        cls.upstream = pd.read_csv(os.path.join(folder, "upstream.csv"), dtype={"column": str}).set_index("column")
        keep = [i for i in range(cls.z.shape[0]) if i != HELD_OUT]
        cls.keep = keep
        cls.name = cls.settings.index[HELD_OUT]
        cls.frame = pd.DataFrame(cls.z[keep], index=cls.settings.index[keep], columns=cls.upstream.index)
        cls.model = fp.fit(cls.frame, method="mf", seed=0, task_features=cls.settings.iloc[keep],
                           examples=cls.upstream[["source"]], progress=False)

    @classmethod
    def tearDownClass(cls):
        cls.model.close()

    def new_task(self):
        return self.settings.iloc[[HELD_OUT]]

    def test_cold_start_predicts_the_whole_row_from_the_settings(self):
        p = self.model.predict(task_features=self.new_task(), group_by="source", progress=False)
        truth = self.z[HELD_OUT]
        self.assertEqual(list(p.examples.index), list(self.upstream.index))
        self.assertTrue(np.isfinite(p.examples[["predicted", "std"]].to_numpy()).all())
        self.assertEqual(p.summary["known_count"], 0)
        self.assertEqual(len(p.groups), 8)
        self.assertFalse(p.examples["measured"].any())
        error = np.sqrt(np.mean((p.examples["predicted"].to_numpy() - truth) ** 2))
        agnostic = np.sqrt(np.mean((self.model.predict(progress=False).examples["predicted"].to_numpy() - truth) ** 2))
        self.assertLess(error, 0.8 * agnostic)

    def test_a_series_a_table_file_and_a_one_row_frame_give_the_same_row(self):
        by_frame = self.model.predict(task_features=self.new_task(), progress=False).examples
        by_series = self.model.predict(task_features=self.settings.iloc[HELD_OUT], progress=False).examples
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "new.csv")
            self.new_task().rename_axis("task").reset_index().to_csv(path, index=False)
            by_file = self.model.predict(task_features=path, task_name=self.name, progress=False).examples
        pd.testing.assert_frame_equal(by_frame, by_series)
        pd.testing.assert_frame_equal(by_frame, by_file)

    def test_a_dict_of_settings_is_the_new_tasks_row_as_the_client_takes_it(self):
        settings = self.settings.iloc[HELD_OUT].to_dict()  # {"family": ..., "lr": ..., "steps": ...}
        by_frame = self.model.predict(task_features=self.new_task(), progress=False).examples
        pd.testing.assert_frame_equal(self.model.predict(task_features=settings, progress=False).examples, by_frame)
        pd.testing.assert_frame_equal(self.model.predict(task_features=[settings], task_name="mine", progress=False).examples, by_frame)
        chosen = self.model.replay(task_features=settings, budget=20, strategy="topk", progress=False)
        self.assertEqual(set(chosen["example"]), set(by_frame["predicted"].nlargest(20).index))

    def test_features_are_aligned_by_id_in_any_order(self):
        shuffled = self.settings.iloc[self.keep].sample(frac=1.0, random_state=3)
        with fp.fit(self.frame, method="mf", seed=0, task_features=shuffled, progress=False) as model:
            a = model.predict(task_features=self.new_task(), progress=False).examples
        b = self.model.predict(task_features=self.new_task(), progress=False).examples
        pd.testing.assert_frame_equal(a[["predicted", "std"]], b[["predicted", "std"]])

    def test_warm_start_marks_the_measured_cells(self):
        cells = pd.Series(self.z[HELD_OUT, :12], index=self.upstream.index[:12])
        p = self.model.predict(cells, task_features=self.new_task(), progress=False)
        self.assertEqual(p.summary["known_count"], 12)
        pd.testing.assert_series_equal(p.measured, cells.rename("measured_value").rename_axis("example"), check_dtype=False)
        self.assertEqual(int(p.examples["measured"].sum()), 12)
        self.assertTrue(p.examples.loc[~p.examples["measured"], "measured_value"].isna().all())

    def test_replay_from_features_alone(self):
        chosen = self.model.replay(task_features=self.new_task(), budget=50, strategy="topk", progress=False)
        predicted = self.model.predict(task_features=self.new_task(), progress=False).examples["predicted"]
        self.assertEqual(len(chosen), 50)
        self.assertEqual(set(chosen["example"]), set(predicted.nlargest(50).index))

    def test_an_embedding_of_the_wrong_width_is_refused_with_the_engines_message(self):
        with fp.fit(self.z[self.keep], method="mf", seed=0, task_features=self.embedding[self.keep], progress=False) as model:
            p = model.predict(task_features=self.embedding[HELD_OUT], progress=False)
            self.assertEqual(len(p.examples), self.z.shape[1])
            with self.assertRaises(fp.EngineError) as caught:
                model.predict(task_features=self.embedding[HELD_OUT, :10], progress=False)
        self.assertIn("10 columns", caught.exception.message)
        self.assertIn("384", caught.exception.message)
        self.assertNotIn("\n", caught.exception.message)

    def test_an_embedding_with_the_wrong_number_of_rows_is_refused_at_fit(self):
        with self.assertRaises(fp.EngineError) as caught:
            fp.fit(self.z[self.keep], method="mf", task_features=self.embedding, progress=False)
        self.assertIn("task_features[0].npy", caught.exception.message)
        self.assertIn("31 rows", caught.exception.message)

    def test_features_of_several_tasks_need_a_task_name(self):
        with self.assertRaises(ValueError):
            self.model.predict(task_features=self.settings.iloc[:3], progress=False)
        with self.assertRaises(ValueError):
            self.model.predict(task_features=np.zeros((2, 3, 4)), task_name="x", progress=False)
        # Something that is no task's features at all is named as such (it was asked for a task_name, or called NaN).
        for wrong in (5, [None], []):
            with self.assertRaisesRegex(fp.InputError, r"task_features=.* is not the new task's features: give a dict of its settings"):
                self.model.predict(task_features=wrong, progress=False)
            with self.assertRaisesRegex(fp.InputError, r"task_features=.* is not the new task's features"):
                fp.client._task_features(wrong)

    def test_features_without_a_feature_model_are_refused(self):
        with fp.fit(self.frame, method="mf", seed=0, progress=False) as model:
            with self.assertRaises(fp.EngineError) as caught:
                model.predict(task_features=self.new_task(), progress=False)
        self.assertIn("fitted without task features", caught.exception.message)
        self.assertIn("refit it with fp.fit(..., task_features=...)", caught.exception.message)  # not the command line's 'fit --task-features'

    def test_new_upstream_examples_come_back_as_cold_examples(self):
        # Every fifth chunk never measured: the model and its example feature model see the other four fifths.
        embedding = np.load(os.path.join(self.folder, "example_emb.npy"))
        old = np.array([j for j in range(self.z.shape[1]) if j % 5 != 0])
        new = np.array([j for j in range(self.z.shape[1]) if j % 5 == 0])
        measured = self.upstream.index[old]
        with fp.fit(self.frame[measured], method="mf", seed=0, example_features=[self.upstream.loc[measured], embedding[old]],
                    progress=False) as model:
            cells = pd.Series(self.z[HELD_OUT, old[::130]], index=measured[::130])
            # An embedding lists the model's examples first, in its order, then the new ones; a table is keyed by id.
            p = model.predict(cells, example_features=[self.upstream, embedding[np.r_[old, new]]], progress=False)
            self.assertEqual(list(p.examples.index), list(measured))
            self.assertEqual(p.examples["rank"].dtype, np.int64)  # as without example features
            self.assertEqual(p.examples["measured"].dtype, bool)
            self.assertEqual(list(p.cold_examples.index), list(self.upstream.index[new]))
            self.assertEqual(list(p.cold_examples.columns), ["predicted", "std", "probability", "cold"])
            self.assertTrue(p.cold_examples["cold"].all())
            truth = self.z[HELD_OUT, new]
            error = np.sqrt(np.mean((p.cold_examples["predicted"].to_numpy() - truth) ** 2))
            average = np.sqrt(np.mean((p.examples["predicted"].mean() - truth) ** 2))
            self.assertLess(error, 0.9 * average)
            self.assertGreater(p.cold_examples["std"].median(), p.examples["std"].median())
            self.assertTrue(model.predict(cells, progress=False).cold_examples.empty)
        with fp.fit(self.frame[measured], method="mf", seed=0, progress=False) as plain:
            with self.assertRaises(fp.EngineError) as caught:
                plain.predict(cells, example_features=[self.upstream, embedding[np.r_[old, new]]], progress=False)
        self.assertIn("fitted without example features", caught.exception.message)

    def test_new_upstream_examples_join_their_groups(self):
        # Every fifth chunk never measured; the metadata given to fit lists all 4,800 chunks' sources.
        embedding = np.load(os.path.join(self.folder, "example_emb.npy"))
        old = np.array([j for j in range(self.z.shape[1]) if j % 5 != 0])
        new = np.array([j for j in range(self.z.shape[1]) if j % 5 == 0])
        measured = self.upstream.index[old]
        with fp.fit(self.frame[measured], method="mf", seed=0, example_features=[self.upstream.loc[measured], embedding[old]],
                    examples=self.upstream[["source"]], progress=False) as model:
            cells = pd.Series(self.z[HELD_OUT, old[::130]], index=measured[::130])
            p = model.predict(cells, group_by="source", example_features=[self.upstream, embedding[np.r_[old, new]]], progress=False)
        # The new chunks carry their source, and each group counts them: its mean and share are over all its chunks.
        self.assertEqual(list(p.cold_examples.columns), ["predicted", "std", "probability", "group", "cold"])
        self.assertEqual(list(p.cold_examples["group"]), list(self.upstream["source"].iloc[new]))
        every = pd.concat([p.examples[["predicted", "probability", "group"]], p.cold_examples[["predicted", "probability", "group"]]])
        by = every.groupby("group")
        self.assertEqual(p.groups["count"].sort_index().to_dict(), by.size().to_dict())
        self.assertEqual(p.groups["new_count"].sort_index().to_dict(), p.cold_examples.groupby("group").size().to_dict())
        np.testing.assert_allclose(p.groups["mean"].sort_index(), by["predicted"].mean(), rtol=0, atol=1e-12)
        np.testing.assert_allclose(p.groups["share"].sort_index(), by["probability"].mean(), rtol=0, atol=1e-12)
        self.assertFalse(any("match no example" in w for w in p.summary["warnings"]))
        assert_top_lists_are_found(self, p)

    def test_every_top_example_of_a_group_is_found_where_it_lives_with_integer_ids(self):
        # Integer chunk ids, every fifth chunk never measured: a group's top list mixes the model's chunks (int64, in
        # p.examples) and new ones (text, in p.cold_examples); top_new says which. The whole list had been typed as the
        # model's ids, so a new chunk (1905) was found in neither frame.
        upstream = self.upstream.set_axis(self.upstream.index.astype(np.int64))
        embedding = np.load(os.path.join(self.folder, "example_emb.npy"))
        old = np.array([j for j in range(self.z.shape[1]) if j % 5 != 0])
        new = np.array([j for j in range(self.z.shape[1]) if j % 5 == 0])
        frame = pd.DataFrame(self.z[self.keep][:, old], index=self.frame.index, columns=upstream.index[old])
        with fp.fit(frame, method="mf", seed=0, example_features=[upstream.iloc[old], embedding[old]],
                    examples=upstream[["source"]], progress=False) as model:
            cells = pd.Series(self.z[HELD_OUT, old[::130]], index=upstream.index[old[::130]])
            p = model.predict(cells, group_by="source", example_features=[upstream, embedding[np.r_[old, new]]], progress=False)
        self.assertEqual(p.examples.index.dtype, np.int64)
        self.assertEqual(list(p.groups.columns[-2:]), ["top_examples", "top_new"])
        assert_top_lists_are_found(self, p)
        # Some group's top list holds a new chunk beside the model's (as javascript's [2353, '1905', 2283] did).
        self.assertTrue(any(any(flags) and not all(flags) for flags in p.groups["top_new"]), p.groups[["top_examples", "top_new"]])
        # The rule top_new follows: an id is new exactly when it is one of cold_examples.
        for top, flags in zip(p.groups["top_examples"], p.groups["top_new"]):
            self.assertEqual(flags, [str(e) in set(p.cold_examples.index) for e in top])

    def test_evaluate_curve_across_k_with_features(self):
        table = fp.evaluate(self.z, tasks=list(self.settings.index), methods=["example-mean", "mf"], test_rows=[0, 5, 12],
                            known=[0, 10], seeds=1, task_features=[self.settings, self.embedding],
                            example_features=[self.upstream.reset_index(), np.load(os.path.join(self.folder, "example_emb.npy"))],
                            progress=False)
        self.assertEqual(table.index.names, ["known", "name"])
        rmse = table["rmse"].unstack("known")
        self.assertEqual(list(rmse.columns), [0, 10])
        self.assertEqual(set(rmse.index), {"example-mean", "mf", "mf+features", "representation"})
        self.assertLess(rmse.loc["mf+features", 0], 0.8 * rmse.loc["example-mean", 0])
        self.assertLess(rmse.loc["mf", 10], rmse.loc["mf", 0])
        self.assertEqual(len(table.attrs["result"]["curve"]), 2)

    def test_feature_files_are_removed(self):
        from test_local import private_tempdir

        folder = private_tempdir(self)
        self.model.predict(task_features=[self.new_task()], progress=False)
        with self.assertRaises(fp.EngineError):
            self.model.predict(task_features=np.zeros(3), progress=False)
        self.assertEqual(os.listdir(folder), [])


class ThresholdTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.z = np.load(os.path.join(charlm_d(), "z.npy"))
        cls.model = fp.fit(cls.z[1:], method="additive", progress=False)

    @classmethod
    def tearDownClass(cls):
        cls.model.close()

    def test_default_threshold_informs_and_says_how_it_was_chosen(self):
        p = self.model.predict(progress=False)
        self.assertIn("90th percentile", p.threshold_rule)
        # The report (repr(p)) says how to set another threshold in Python, and names none of the call's deleted files.
        self.assertIn("pass threshold=... to set another", repr(p))
        self.assertNotIn("--", p.text)
        self.assertNotIn("wrote", p.text)
        share = p.expected_forgotten / len(p.examples)
        self.assertGreater(share, 0.05)
        self.assertLess(share, 0.2)
        # Every cell of charlm-d is a loss increase: 0 marks most examples forgotten.
        self.assertGreater(self.model.predict(threshold=0, progress=False).expected_forgotten / len(p.examples), 0.85)

    def test_default_threshold_is_unit_free(self):
        with fp.fit(self.z[1:] * 1000, method="additive", progress=False) as scaled:
            a = self.model.predict(pd.Series(self.z[0, :20], index=range(20)), by_index=True, progress=False)
            b = scaled.predict(pd.Series(1000 * self.z[0, :20], index=range(20)), by_index=True, progress=False)
        self.assertAlmostEqual(b.threshold, 1000 * a.threshold, delta=1e-6 * b.threshold)
        np.testing.assert_allclose(b.examples["probability"], a.examples["probability"], atol=1e-3)
        self.assertAlmostEqual(b.expected_forgotten, a.expected_forgotten, delta=1e-3 * a.expected_forgotten)

    def test_a_given_threshold_wins(self):
        p = self.model.predict(threshold=0.5, progress=False)
        self.assertEqual(p.threshold, 0.5)
        self.assertEqual(p.threshold_rule, "given")


if __name__ == "__main__":
    unittest.main()
