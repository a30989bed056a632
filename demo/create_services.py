"""Create the ECS clusters and service in the sandbox, as `git lift env create` and
`git lift service create` do, for checkouts that do not have those commands."""

from __future__ import annotations

import sys

import boto3


def main(service: str, envs: list[str]) -> int:
    ecs = boto3.client("ecs")
    for env in envs:
        ecs.create_cluster(clusterName=f"lift-{env}")
        definition = ecs.register_task_definition(
            family=f"{env}-{service}",
            containerDefinitions=[{"name": service, "image": "placeholder:latest", "memory": 512}],
            requiresCompatibilities=["FARGATE"],
            networkMode="awsvpc",
            cpu="256",
            memory="512",
        )["taskDefinition"]["taskDefinitionArn"]
        ecs.create_service(
            cluster=f"lift-{env}",
            serviceName=service,
            taskDefinition=definition,
            desiredCount=2,
            launchType="FARGATE",
            deploymentConfiguration={
                "deploymentCircuitBreaker": {"enable": True, "rollback": True}
            },
        )
        print(f"created cluster lift-{env} and service {service}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1], sys.argv[2:]))
