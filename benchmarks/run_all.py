"""Run the in-process benchmarks in this folder, one after the other.

The load benchmarks against a real gunicorn (``load_wrk.py``, needs wrk, and
``quiz_crowd.py``) run with ``make bench-load``."""
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent

for script in sorted(HERE.glob("*.py")):
    if script.name in {"run_all.py", "load_wrk.py", "quiz_crowd.py"} or script.name.startswith("_"):
        continue
    print(f"== {script.name}")
    subprocess.run([sys.executable, str(script)], check=True)
