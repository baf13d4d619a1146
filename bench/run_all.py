"""Run every benchmark in bench/ in turn; print their tables, then all JSON result lines."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SKIP = {"run_all.py", "harness.py"}


def main() -> int:
    lines, failed = [], []
    for script in sorted(HERE.glob("*.py")):
        if script.name in SKIP:
            continue
        print(f"=== {script.name}", flush=True)
        result = subprocess.run([sys.executable, str(script), *sys.argv[1:]], cwd=HERE,
                                capture_output=True, text=True)
        for line in result.stdout.splitlines():
            if line.startswith('{"metric"'):
                lines.append(line)
            elif not line.startswith('{"severity"'):  # the functions' request logs
                print(line)
        if result.returncode:
            failed.append(script.name)
            print(result.stderr[-2000:])
    print("\n=== results")
    for line in lines:
        print(line)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
