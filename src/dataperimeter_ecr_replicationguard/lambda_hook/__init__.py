"""Door: the same guard as an ``AWS::CloudFormation::LambdaHook`` (no private type to register).

``handler`` (the Lambda entrypoint, ``handler.handler``), ``request`` (the Lambda hook input of the
CloudFormation Hooks User Guide, read field by field), ``payload`` (the STACK / CHANGE_SET payload,
fetched from its S3 presigned URL) and ``response`` (the neutral answer of ``hook/answer.py`` in the
Lambda hook response shape). The settings come from ``aws_api.configuration_source``. Importing this
package imports none of them."""
