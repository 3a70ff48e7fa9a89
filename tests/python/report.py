"""The closing report every validator prints: one line per file, then "N passed, N failed"."""
import sys


def run(paths, validate):
    """Runs validate(path) on each path, reports, and exits non-zero if any failed."""
    failed = 0
    for path in paths:
        try:
            print(f"ok: {path}: {validate(path)}")
        except Exception as e:  # report every file, then fail
            failed += 1
            print(f"FAILED: {path}: {e}")
    print(f"{len(paths) - failed} passed, {failed} failed")
    sys.exit(1 if failed else 0)
