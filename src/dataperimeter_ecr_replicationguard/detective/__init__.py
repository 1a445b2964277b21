"""The detective door: ECR API calls made outside CloudFormation (console, CLI, SDKs, Terraform),
recorded by CloudTrail and delivered by EventBridge, judged by the same core, settings and trust
sources as the registered hook, and reported to Security Hub (ASFF) and optionally SNS.

- :mod:`.events`: the EventBridge envelope into one :class:`~.events.Call`;
- :mod:`.handler`: the Lambda entrypoint (``handler(event, context)``);
- :mod:`.accounts`: credentials in the account the call was made in (the member role);
- :mod:`.lifecycle`: a later compliant call on the same resource resolves its open findings;
- :mod:`.notify`: the SNS message;
- :mod:`.remediation`: the optional responsive control for replication (off by default, dry-run).

Deploy templates: ``deploy/detective-central.yaml``, ``deploy/detective-member.yaml``,
``deploy/detective-stackset.yaml``; runbook: docs/operations.md, "Detective control".
"""
