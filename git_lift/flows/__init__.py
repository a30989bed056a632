"""What several commands share, below git_lift.commands and above the boundaries:

context        the Context every command gets (settings, repository, options, ctx.aws);
               here, not in commands/, because the flows take it too
config_*       env.sample checks, the one plan -> confirm -> write path, its saved edits
pinned         release config snapshots;  names_cache: the store names last seen (for hooks)
ship_plan      resolve -> ShipPlan -> show -> execute, shared by ship and promote
image          find, build or copy a release's image;  rollout, deploy: lock, wait, roll back
release        release records and tags;  infra_stack: CloudFormation change sets
confirmation, editor, pushed_refs   prompts, $EDITOR and private files, git's pushed refs

Flows never import commands or click; AWS comes through ctx.aws, git through ctx.repo.
"""
