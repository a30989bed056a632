"""`python -m git_lift.sandbox`: the same as `python -m git_lift.sandbox.server`."""

from git_lift.sandbox.server import main

raise SystemExit(main())
