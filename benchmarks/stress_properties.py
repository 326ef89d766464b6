"""The expensive properties at 10x their CI examples: the state machine (contract edits,
applies, crashes between state writes, drift, destroy), the kill-at-any-moment crash
property and the mapping property of issue 21 (generated contracts loaded exactly or refused
before apply). Prints each test's outcome and the time taken; exits non-zero if any failed.

    python benchmarks/stress_properties.py [--factor 10] [tests/test_properties_mapping.py ...]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TESTS = ["tests/test_state_machine.py", "tests/test_crash.py", "tests/test_properties_mapping.py"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--factor", type=int, default=10)
    parser.add_argument("tests", nargs="*", default=TESTS, help="only these test files (default: all three)")
    args = parser.parse_args()
    env = {**os.environ, "MIGRATOR_STRESS": str(args.factor), "PYTHONPATH": str(REPO)}
    failed = 0
    for test in args.tests:
        began = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", test,
                               "--hypothesis-show-statistics"], cwd=REPO, env=env, capture_output=True, text=True)
        seconds = time.perf_counter() - began
        summary = [line for line in done.stdout.splitlines() if " passed" in line or " failed" in line]
        examples = [line.strip() for line in done.stdout.splitlines() if "passing examples" in line]
        print(f"{test} x{args.factor}: {summary[-1] if summary else 'no summary'} in {seconds:.0f} s; "
              + "; ".join(examples))
        if done.returncode != 0:
            failed += 1
            print(done.stdout[-6000:])
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
