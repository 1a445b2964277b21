"""AWS::ECR::RegistryPolicy: the registry policy must grant nothing outside the trusted set.

With the default registry policy scope (V2) a registry policy applies to every ECR action on
every repository, and the scope is an account setting the hook cannot see: every action counts.
"""

from .policy import check_policy_property

RESOURCE_TYPE = "AWS::ECR::RegistryPolicy"


def check(properties, trust):
    return check_policy_property(properties, trust, "PolicyText", required=True)
