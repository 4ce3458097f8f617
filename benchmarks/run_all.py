"""Run every benchmark in this folder, one after the other."""
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent

for script in sorted(HERE.glob("*.py")):
    if script.name in {"run_all.py"} or script.name.startswith("_"):
        continue
    print(f"== {script.name}")
    subprocess.run([sys.executable, str(script)], check=True)
