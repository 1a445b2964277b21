"""The floor: the same library entrypoint (cloudformation_cli_python_lib.Hook) with a handler
that returns SUCCESS at once. Same type name, same type configuration model shape."""

from cloudformation_cli_python_lib import Hook, HookInvocationPoint, OperationStatus, ProgressEvent

from dataperimeter_ecr_replicationguard.models import TypeConfigurationModel

hook = Hook("DataPerimeter::ECR::ReplicationGuard", TypeConfigurationModel)


@hook.handler(HookInvocationPoint.CREATE_PRE_PROVISION)
def pre_create(session, request, callback_context, type_configuration):
    return ProgressEvent(status=OperationStatus.SUCCESS)
