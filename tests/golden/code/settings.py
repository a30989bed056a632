"""A Flask-style settings module: what the code check finds in Python (tests/test_code_env.py)."""

import os
from os import environ, getenv

DATABASE_URL = os.environ["DATABASE_URL"]  # in env.sample
PY_SECRET = os.environ.get("PY_SECRET", "dev")
PY_FLAG = os.getenv("PY_FLAG")
PY_BARE = environ["PY_BARE"]
PY_GETENV = getenv("PY_GETENV")
REGION = os.environ["AWS_REGION"]  # set by ECS
HOME = os.environ.get("HOME")  # set by the OS
os.environ["PY_WRITTEN"] = "1"  # a write, not a read
DYNAMIC = os.environ.get(f"PY_{DATABASE_URL}")  # no literal name
TEXT = "os.environ['PY_IN_A_STRING']"  # text, not code
# os.getenv("PY_IN_A_COMMENT")
