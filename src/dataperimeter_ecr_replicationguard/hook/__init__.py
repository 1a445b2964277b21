"""The registered CloudFormation hook, one door: ``handlers`` (the Lambda entrypoints),
``resource_target`` (RESOURCE), ``stack_targets`` (STACK and CHANGE_SET), ``answer`` (the hook's
answer, built once: a neutral value, then a ProgressEvent) and ``request_errors`` (requests the
library cannot read, in actionable words). ``resource_target``, ``stack_targets`` and ``answer``
need no CloudFormation library: the Lambda hook (``lambda_hook/``) answers through them too.
Importing this package imports none of them."""
