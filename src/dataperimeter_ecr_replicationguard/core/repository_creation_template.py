"""AWS::ECR::RepositoryCreationTemplate: its RepositoryPolicy is attached to every repository ECR
creates for replication, pull-through cache or create-on-push, so it is checked like a
repository policy."""

from .policy import check_policy_property

RESOURCE_TYPE = "AWS::ECR::RepositoryCreationTemplate"


def check(properties, trust):
    return check_policy_property(properties, trust, "RepositoryPolicy")
