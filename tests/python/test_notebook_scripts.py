"""The README's analysis scripts in notebooks/: oracle_floor.py (how close evaluate's methods are to what the training tasks
can explain) and feature_curve.py (the RMSE-against-k chart), run as a user runs them."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import numpy as np
import pandas as pd


def script(name):
    root = os.environ.get("FP_REPO_ROOT") or os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
    return os.path.join(root, "notebooks", name)


def run(name, *args):
    return subprocess.run([sys.executable, script(name), *args], capture_output=True, text=True, timeout=120)


def printed(output):
    """The script's lines as {label: value}."""
    values = {}
    for line in output.strip().splitlines():
        label, value = line.rsplit(maxsplit=1)
        values[label.strip()] = float(value)
    return values


class OracleFloorTests(unittest.TestCase):
    """A planted matrix: 12 tasks = mean + rank 2, no noise; tasks 0, 1, 2 are the test tasks of a fake evaluate run."""

    @classmethod
    def setUpClass(cls):
        rng = np.random.default_rng(4)
        rows, columns = 12, 200
        cls.z = (rng.normal(size=(rows, 1)) + rng.normal(size=(rows, 2)) @ rng.normal(size=(2, columns))
                 + rng.normal(size=columns)).astype(np.float32)
        cls.folder = tempfile.mkdtemp(prefix="fp-oracle-")
        cls.addClassCleanup(shutil.rmtree, cls.folder)
        cls.matrix = os.path.join(cls.folder, "z.npy")
        np.save(cls.matrix, cls.z)
        records = []
        for seed in (0, 1):
            revealed = set(rng.choice(columns, 10, replace=False).tolist())
            for task in (0, 1, 2):
                truth = cls.z[task].astype(np.float64)
                # 'near' wins on tasks 0 and 1, 'affine' (an exact level-and-scale change of the truth) on task 2.
                near = truth + (0.1 if task < 2 else 5.0)
                affine = 2 * truth + 1
                for example in range(columns):
                    for method, row in (("near", near), ("affine", affine)):
                        records.append((method, seed, task, example, row[example], truth[example], example in revealed))
        cls.predictions = os.path.join(cls.folder, "p.csv")
        pd.DataFrame(records, columns=["method", "seed", "task", "example", "predicted", "actual", "revealed"]).to_csv(
            cls.predictions, index=False)

    def test_each_number_against_its_definition(self):
        result = run("oracle_floor.py", self.matrix, self.predictions, "--method", "affine", "--ranks", "1,3")
        self.assertEqual(result.returncode, 0, result.stderr)
        values = printed(result.stdout)
        cells = pd.read_csv(self.predictions)
        cells = cells[~cells["revealed"]]
        # As evaluate reports RMSE: per reveal draw, then the mean over draws.
        for method in ("near", "affine"):
            own = cells[cells["method"] == method]
            expected = np.mean([np.sqrt(((g["predicted"] - g["actual"]) ** 2).mean()) for _, g in own.groupby("seed")])
            self.assertAlmostEqual(values[method], expected, places=4)
        # Per task and draw the method with the smaller squared error on that task's cells: near on tasks 0 and 1.
        best = []
        for _, draw in cells.groupby("seed"):
            total = sum(min(((g["predicted"] - g["actual"]) ** 2).sum() for _, g in group.groupby("method"))
                        for _, group in draw.groupby("task"))
            best.append(np.sqrt(total / (len(draw) / 2)))
        self.assertAlmostEqual(values["per-task best"], np.mean(best), places=4)
        self.assertLess(values["per-task best"], min(values["near"], values["affine"]))
        # affine's rows are exact level-and-scale changes of the truth. The centred training rows span the constant and the
        # two planted directions, so rank 3 fits every test row exactly and rank 1 does not.
        self.assertLess(values["affine + level and scale"], 1e-5)
        self.assertLess(values["whole row, rank 3"], 1e-4)
        self.assertGreater(values["whole row, rank 1"], 0.05)

    def test_a_method_the_file_lacks_is_named(self):
        result = run("oracle_floor.py", self.matrix, self.predictions, "--method", "auto")
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("no 'auto' predictions; methods there: affine, near", result.stderr)

    def test_a_matrix_with_missing_cells_is_refused(self):
        gappy = os.path.join(self.folder, "gappy.npy")
        z = self.z.copy()
        z[5, 7] = np.nan
        np.save(gappy, z)
        result = run("oracle_floor.py", gappy, self.predictions, "--method", "near")
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("has missing cells", result.stderr)


class FeatureCurveTests(unittest.TestCase):
    def curve(self, folder, name, shift):
        path = os.path.join(folder, name)
        points = [{"known": k, "methods": [{"name": "mf", "rmse": 0.3 / (1 + k) + shift},
                                            {"name": "mf+features", "rmse": 0.2 / (1 + k) + shift},
                                            {"name": "ensemble+features", "rmse": 0.15 / (1 + k) + shift}]}
                  for k in (0, 5, 10, 30)]
        with open(path, "w", encoding="utf-8") as f:
            json.dump({"curve": points}, f)
        return path

    def test_the_same_run_draws_the_same_file_and_another_run_another(self):
        folder = tempfile.mkdtemp(prefix="fp-curve-")
        self.addCleanup(shutil.rmtree, folder)
        first, second = self.curve(folder, "a.json", 0.0), self.curve(folder, "b.json", 0.05)
        outputs = []
        for source, out in ((first, "a1.svg"), (first, "a2.svg"), (second, "b.svg")):
            result = run("feature_curve.py", source, os.path.join(folder, out))
            self.assertEqual(result.returncode, 0, result.stderr)
            with open(os.path.join(folder, out), "rb") as f:
                outputs.append(f.read())
        self.assertTrue(outputs[0].lstrip().startswith(b"<?xml"))
        self.assertIn(b"<svg", outputs[0])
        self.assertEqual(outputs[0], outputs[1])
        self.assertNotEqual(outputs[0], outputs[2])


class NotebookSetupTests(unittest.TestCase):
    """The notebooks' first code cell (where their figures go), run as the kernel runs it: into NOTEBOOK_OUTPUT only when it
    is set (make notebooks), else into a temporary folder that is gone when the process ends."""

    def setup_cell(self, name):
        with open(script(name), encoding="utf-8") as f:
            cells = [c for c in json.load(f)["cells"] if c["cell_type"] == "code"]
        return "".join(cells[0]["source"])

    def test_the_notebooks_leave_no_temporary_folder(self):
        for name in ("evaluation.ipynb", "before_fine_tuning.ipynb"):
            for given in (True, False):
                with self.subTest(name, output_given=given), tempfile.TemporaryDirectory(prefix="fp-test-tmp-") as scratch:
                    output = os.path.join(scratch, "out")
                    environment = {k: v for k, v in os.environ.items() if k != "NOTEBOOK_OUTPUT"}
                    environment["TMPDIR"] = scratch
                    if given:
                        environment["NOTEBOOK_OUTPUT"] = output
                    code = self.setup_cell(name) + "\nimport glob\nprint(sorted(glob.glob(os.path.join(tempfile.gettempdir(), 'fp-notebook-*'))))\n"
                    child = subprocess.run([sys.executable, "-c", code], cwd=os.path.dirname(script(name)), env=environment,
                                           capture_output=True, text=True, timeout=120)
                    self.assertEqual(child.returncode, 0, child.stderr)
                    during = child.stdout.strip().splitlines()[-1]
                    self.assertEqual(during == "[]", given, during)  # a temporary folder only when no output folder is given
                    self.assertEqual([f for f in os.listdir(scratch) if f.startswith("fp-notebook-")], [])
                    self.assertEqual(os.path.isdir(output), given)


if __name__ == "__main__":
    unittest.main()
