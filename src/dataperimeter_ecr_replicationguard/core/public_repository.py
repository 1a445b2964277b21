"""AWS::ECR::PublicRepository: anyone may pull from an ECR Public repository by design, and its
policy cannot change that. So pull actions granted to anyone are no finding; any other action
(push, delete, set policy) granted outside the trusted set is."""

from .policy import PUBLIC, check_policy_property

RESOURCE_TYPE = "AWS::ECR::PublicRepository"

PUBLIC_PULL_ACTIONS = frozenset(
    f"ecr-public:{action}".lower()
    for action in (
        "BatchCheckLayerAvailability",
        "BatchGetImage",
        "DescribeImageTags",
        "DescribeImages",
        "DescribeRepositories",
        "GetDownloadUrlForLayer",
        "GetRepositoryCatalogData",
    )
)


def check(properties, trust):
    return check_policy_property(properties, trust, "RepositoryPolicyText", ignore_actions=PUBLIC_PULL_ACTIONS,
                                 namespace=PUBLIC)
