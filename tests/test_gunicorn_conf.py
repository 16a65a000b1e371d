"""The gunicorn settings of the project folder: each worker freezes what it built."""

from __future__ import annotations

import gc
import runpy
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_each_worker_freezes_the_app_it_built() -> None:
    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    before = gc.get_freeze_count()
    try:
        settings["post_worker_init"](object())
        assert gc.get_freeze_count() > before
    finally:
        gc.unfreeze()
