#!/usr/bin/env python3
"""Sum the outcomes in every .trx file under a folder, add extra checks, print `N passed, N failed`.

Usage: count-trx.py RESULTS_DIR EXTRA_PASSED EXTRA_FAILED. Exits non-zero when anything failed
or when no test ran at all (a build that produced no test results is a failure, not a pass)."""
import glob
import sys
import xml.etree.ElementTree as ET

folder, extra_pass, extra_fail = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
passed = failed = 0
failures = []
ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
files = sorted(glob.glob(f"{folder}/**/*.trx", recursive=True))
for path in files:
    counters = ET.parse(path).getroot().find("t:ResultSummary/t:Counters", ns)
    if counters is None:
        failed += 1
        continue
    # Name every failed test (and the first lines of its message) so the tail of a CI log says what broke.
    for result in ET.parse(path).getroot().iterfind("t:Results/t:UnitTestResult", ns):
        if result.get("outcome") not in ("Passed", "NotExecuted"):
            message = result.findtext("t:Output/t:ErrorInfo/t:Message", default="", namespaces=ns).strip().splitlines()
            failures.append(f"FAILED {result.get('testName')}: " + " | ".join(message[:4]))
    passed += int(counters.get("passed", 0))
    failed += int(counters.get("failed", 0)) + int(counters.get("error", 0)) + int(counters.get("timeout", 0)) + int(counters.get("aborted", 0))
if not files:
    failed += 1
    print("no test results were produced", file=sys.stderr)
for line in failures:
    print(line[:2000])
passed += extra_pass
failed += extra_fail
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
