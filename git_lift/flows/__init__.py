"""What several commands share, below git_lift.commands and above the boundaries:

context        the Context every command gets (settings, repository, options, ctx.aws);
               here, not in commands/, because the flows take it too
config_*       env.sample checks, the one plan -> confirm -> write path, its saved edits
pinned         release config snapshots;  names_cache: the store names last seen (for hooks)
shipping       resolve a ship (or a pushed tag's release) -> plan -> show -> confirm -> execute
ship_plan      the ReleasePlan of a ship or a promotion;  gate: release gates
release_plan   a release as one object: its record and its steps;  release_steps: the steps
executor       runs a plan's steps under the deploy lock, undoes them, records
image          find, build or copy a release's image;  rollout, deploy: lock, wait, roll back
release        release records and tags;  infra_stack: CloudFormation change sets
confirmation, editor, pushed_refs   prompts, $EDITOR and private files, git's pushed refs
release_history  past releases, the commits and env.sample names two of them differ in
environment_record, service_stack, service_edit   env and service: records, documents, stacks
hook_shims, hook_samples   the installed git hooks; the env.sample changes they check
init_files, trust_record, adoption, iam_scope, committed, log_tail, service_state
               what init, trust, adopt, iam-policy, setup, logs and status read and write

Flows never import commands or click; AWS comes through ctx.aws, git through ctx.repo:
commands call flows for both (tests/test_layout.py counts the calls left in commands/).
"""
