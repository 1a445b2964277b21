"""DataPerimeter::ECR::ReplicationGuard: an AWS CloudFormation Hook for the Amazon ECR data perimeter."""

TYPE_NAME = "DataPerimeter::ECR::ReplicationGuard"
__version__ = "0.1.0"
