"""Entry points, one module per command or group (ship, promote, rollback, config, env and
service, hooks...): each resolves what was asked, plans, shows, confirms and executes by
calling git_lift.flows, and returns an exit code.

Layers, each importing only its own and those below it (tests/test_layout.py):
cli (click) -> commands -> flows -> boundaries (aws/, repo, proc, build, registry, image_copy,
sandbox/) -> pure (settings, target, plan, envfile, servicecfg, templates/, errors, ui).
A command gets a Context (flows/context.py: settings, repository, options) whose `aws` hands
typed wrappers for a Target, "this service in this environment", which owns every AWS name.
"""
