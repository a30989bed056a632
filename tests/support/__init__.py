"""Helpers shared by the tests (as pre-commit's testing/): real git repositories, `git lift` as
a subprocess, the sandbox's ECS, images and faults, and in-memory fakes of the AWS wrappers.
Fixtures live in tests/conftest.py; no test module imports another (tests/test_layout.py)."""
