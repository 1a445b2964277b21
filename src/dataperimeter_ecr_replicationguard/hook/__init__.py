"""The registered CloudFormation hook, one door: ``handlers`` (the Lambda entrypoints and the
RESOURCE target), ``stack_targets`` (STACK and CHANGE_SET), ``answer`` (the hook's answer, built
once: a neutral value, then a ProgressEvent) and ``request_errors`` (requests the library cannot
read, in actionable words). Importing this package imports none of them."""
