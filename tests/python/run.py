"""Runs the Python package's tests (unittest) and writes their outcomes as a .trx file that .ci/count-trx.py counts.

Usage: run.py RESULTS_DIR. Every test counts once: passed, or failed (failures and errors); skipped tests are not
counted. A test module that cannot be imported is one failed test. Exits non-zero when anything failed."""
import os
import sys
import time
import unittest
import uuid
import xml.etree.ElementTree as ET

NS = "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"


class Recorder(unittest.TextTestResult):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.outcomes = []
        self._started = 0.0

    def startTest(self, test):
        self._started = time.monotonic()
        super().startTest(test)

    def _record(self, test, outcome, message=""):
        self.outcomes.append((test.id(), outcome, time.monotonic() - self._started, message))

    def addSuccess(self, test):
        super().addSuccess(test)
        self._record(test, "Passed")

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._record(test, "Failed", self._exc_info_to_string(err, test))

    def addError(self, test, err):
        super().addError(test, err)
        # setUpClass failures arrive as an error of a _ErrorHolder, not of a test case.
        name = test.id() if hasattr(test, "id") else str(test)
        self.outcomes.append((name, "Failed", 0.0, self._exc_info_to_string(err, test)))

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self._record(test, "NotExecuted", reason)


def write_trx(path, outcomes):
    ET.register_namespace("", NS)
    run = ET.Element(f"{{{NS}}}TestRun", id=str(uuid.uuid4()), name="python")
    results = ET.SubElement(run, f"{{{NS}}}Results")
    for name, outcome, seconds, message in outcomes:
        r = ET.SubElement(results, f"{{{NS}}}UnitTestResult", testName=name, outcome=outcome,
                          duration=time.strftime("%H:%M:%S", time.gmtime(seconds)) + f".{int(seconds % 1 * 1e7):07d}")
        if message:
            ET.SubElement(ET.SubElement(r, f"{{{NS}}}Output"), f"{{{NS}}}ErrorInfo").text = message
    passed = sum(1 for o in outcomes if o[1] == "Passed")
    failed = sum(1 for o in outcomes if o[1] == "Failed")
    summary = ET.SubElement(run, f"{{{NS}}}ResultSummary", outcome="Failed" if failed else "Completed")
    ET.SubElement(summary, f"{{{NS}}}Counters", total=str(passed + failed), executed=str(passed + failed), passed=str(passed), failed=str(failed))
    ET.ElementTree(run).write(path, encoding="utf-8", xml_declaration=True)
    return passed, failed


def main():
    results = sys.argv[1]
    os.makedirs(results, exist_ok=True)
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path.insert(0, here)
    suite = unittest.defaultTestLoader.discover(here, pattern="test_*.py", top_level_dir=here)
    runner = unittest.TextTestRunner(resultclass=Recorder, verbosity=2, stream=sys.stdout)
    result = runner.run(suite)
    passed, failed = write_trx(os.path.join(results, "python.trx"), result.outcomes)
    print(f"python: {passed} passed, {failed} failed")
    return 1 if failed or passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
