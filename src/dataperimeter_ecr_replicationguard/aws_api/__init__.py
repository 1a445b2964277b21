"""The shared AWS-API room: what the doors with no CloudFormation type configuration or template
(the Lambda hook, the detective Lambda, ``hook-handler audit``) need to reach the same core.

- :mod:`.configuration_source`: the settings document, from ``GUARD_CONFIGURATION`` or SSM.
- :mod:`.shapes`: ECR API shapes (CloudTrail ``requestParameters``, Describe/Get responses) to
  :class:`~dataperimeter_ecr_replicationguard.assess.Resource` values in CloudFormation's shape.
- :mod:`.live`: the live ECR configuration of one account and Region, read with boto3.
- :mod:`.security_hub`: ASFF findings and BatchImportFindings.

The registered hook's RESOURCE path never imports this package (tests/test_aws_api_import.py);
nothing here imports boto3 at module level.
"""
