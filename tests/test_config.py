"""config.example.py documents every setting, and PGD_* variables reach every one."""

from __future__ import annotations

import re
from pathlib import Path

from pgd.config import Defaults, from_environment

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = sorted(name for name in dir(Defaults) if name.isupper())


def test_every_setting_is_documented_in_config_example() -> None:
    text = (ROOT / "config.example.py").read_text(encoding="utf-8")
    missing = [name for name in SETTINGS if not re.search(rf"^#?\s*{name}\s*=", text, re.M)]
    assert missing == [], f"settings missing from config.example.py: {missing}"


def test_environment_variables_set_every_setting_with_its_type() -> None:
    environ = {
        "PGD_SECOND_FACTOR_LIMIT_ACCOUNT": "3 per 10 minutes",
        "PGD_ARGON2_TIME_COST": "4",
        "PGD_FORCE_SECURE_COOKIES": "yes",
        "PGD_LANGUAGES": "nl, en",
        "PGD_NOT_A_SETTING": "ignored",
    }
    found = from_environment(environ)
    assert found == {
        "SECOND_FACTOR_LIMIT_ACCOUNT": "3 per 10 minutes",
        "ARGON2_TIME_COST": 4,
        "FORCE_SECURE_COOKIES": True,
        "LANGUAGES": ("nl", "en"),
    }
