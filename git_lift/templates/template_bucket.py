"""The environment's template bucket (`Environment.template_bucket`), in the environment stack;
pure.

CloudFormation takes at most 51,200 bytes of template in a request (git_lift/limits.py); a
larger service template is uploaded here and passed by URL, then deleted once CloudFormation
has read it. The bucket is the environment's: made and deleted with its stack (so it passes
cfn-lint and checkov with the rest, and needs no naming race or extra set-up step), private
(public access blocked, objects owned by the account, no bucket policy), encrypted with S3's AWS
managed KMS key (whoever may write a template may read it back; no key policy to keep), and
anything left behind (an interrupted upload) expires after a day.
"""

from __future__ import annotations

from troposphere import Sub, Tags, s3

from git_lift.target import Environment
from git_lift.templates import checks

TITLE = "TemplateBucket"
# Objects live for seconds: what outlives its change set (a killed process) goes after a day.
EXPIRE_DAYS = 1
SHORT_LIVED = (
    "holds each template only until CloudFormation has read it (seconds, then deleted); "
    "CloudTrail records who wrote and read it"
)


def bucket(env: Environment) -> s3.Bucket:
    name = Sub(env.template_bucket("${AWS::AccountId}", "${AWS::Region}"))
    made = s3.Bucket(
        TITLE,
        BucketName=name,
        DeletionPolicy="Delete",
        UpdateReplacePolicy="Delete",
        BucketEncryption=s3.BucketEncryption(
            ServerSideEncryptionConfiguration=[
                s3.ServerSideEncryptionRule(
                    ServerSideEncryptionByDefault=s3.ServerSideEncryptionByDefault(
                        SSEAlgorithm="aws:kms"
                    ),
                    BucketKeyEnabled=True,
                )
            ]
        ),
        PublicAccessBlockConfiguration=s3.PublicAccessBlockConfiguration(
            BlockPublicAcls=True,
            BlockPublicPolicy=True,
            IgnorePublicAcls=True,
            RestrictPublicBuckets=True,
        ),
        OwnershipControls=s3.OwnershipControls(
            Rules=[s3.OwnershipControlsRule(ObjectOwnership="BucketOwnerEnforced")]
        ),
        VersioningConfiguration=s3.VersioningConfiguration(Status="Enabled"),
        LifecycleConfiguration=s3.LifecycleConfiguration(
            Rules=[
                s3.LifecycleRule(
                    Id="ShortLived",
                    Status="Enabled",
                    ExpirationInDays=EXPIRE_DAYS,
                    NoncurrentVersionExpiration=s3.NoncurrentVersionExpiration(
                        NoncurrentDays=EXPIRE_DAYS
                    ),
                    AbortIncompleteMultipartUpload=s3.AbortIncompleteMultipartUpload(
                        DaysAfterInitiation=EXPIRE_DAYS
                    ),
                )
            ]
        ),
        Tags=Tags({"Name": env.resource_name("templates"), **env.tags}),
    )
    return checks.skip(made, checks.S3_ACCESS_LOGS, SHORT_LIVED)
