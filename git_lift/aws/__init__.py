"""The AWS boundary: clients.py is the one module that imports boto3 and botocore (a
session and clients per environment: profile, region, role, account check); factory.Aws hands
one typed wrapper per service (ssm, ecs, ecr, store and table, cfn, logs, secrets) for a Target
or an environment. Wrappers turn AWS errors into typed ones (Conflict, LockHeld, LockLost,
Unreachable), page with botocore's paginators and take `sleep` and the clock from Aws, so
tests/fast runs deploy logic against in-memory fakes in milliseconds.
Below git_lift.flows; imports only its own modules and the pure ones (target, settings, errors).
"""
