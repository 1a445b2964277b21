"""AWS::ECR::Repository: the repository policy must grant nothing outside the trusted set."""

from .policy import check_policy_property

RESOURCE_TYPE = "AWS::ECR::Repository"


def check(properties, trust):
    return check_policy_property(properties, trust, "RepositoryPolicyText")
