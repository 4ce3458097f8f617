"""`make run` on this checkout serves a ready-to-use app."""
import os
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from .helpers import free_port

PROJECT = Path(__file__).parent.parent


@pytest.mark.slow
def test_make_run_sets_up_and_serves_the_app(tmp_path):
    port = free_port()
    env = {**os.environ, "LMS_INSTANCE_PATH": str(tmp_path / "instance"), "PORT": str(port)}
    env.pop("DATABASE_URL", None)
    env.pop("MAIL_SERVER", None)
    env.pop("LMS_BASE_URL", None)  # `make test` exports the default port's URL
    process = subprocess.Popen(["make", "run", f"PORT={port}"], cwd=PROJECT, env=env, start_new_session=True,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        html = None
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and process.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as response:
                    assert response.status == 200
                    html = response.read().decode()
                    break
            except OSError:
                time.sleep(0.3)
        assert html is not None, f"server did not answer; output:\n{process.stdout.read() if process.poll() is not None else ''}"
        assert "Mitgliederbetreuung" in html
        assert "Jetzt registrieren" in html
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/register", timeout=5) as response:
            assert "Köln" in response.read().decode()  # the units were loaded
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        output, _ = process.communicate(timeout=20)
    assert "Es gibt noch kein Admin-Konto" in output
    assert f"http://127.0.0.1:{port}/setup/" in output
