# DO NOT modify this file by hand, changes will be overwritten
from dataclasses import dataclass

from cloudformation_cli_python_lib.interface import BaseHookHandlerRequest, BaseModel
from cloudformation_cli_python_lib.recast import recast_object
from cloudformation_cli_python_lib.utils import deserialize_list

import sys
from inspect import getmembers, isclass
from typing import (
    AbstractSet,
    Any,
    Generic,
    Mapping,
    MutableMapping,
    Optional,
    Sequence,
    Type,
    TypeVar,
)

T = TypeVar("T")


def set_or_none(value: Optional[Sequence[T]]) -> Optional[AbstractSet[T]]:
    if value:
        return set(value)
    return None


@dataclass
class HookHandlerRequest(BaseHookHandlerRequest):
    pass


@dataclass
class TypeConfigurationModel(BaseModel):
    TrustedAccountIds: Optional[str]
    TrustedOrganizationIds: Optional[str]
    TrustedOrganizationalUnitPaths: Optional[str]
    TrustDeployingAccount: Optional[str]
    AllowedReplicationRegions: Optional[str]
    TrustedServicePrincipals: Optional[str]
    AllowedUpstreamRegistryUrls: Optional[str]
    Exemptions: Optional[str]
    AccountSource: Optional[str]
    OrganizationsRoleArn: Optional[str]
    CacheTtlSeconds: Optional[str]
    OrganizationsLookup: Optional[str]
    SnapshotLocation: Optional[str]
    SnapshotRegion: Optional[str]
    SnapshotMaxAgeSeconds: Optional[str]
    SnapshotFallback: Optional[str]

    @classmethod
    def _deserialize(
        cls: Type["_TypeConfigurationModel"],
        json_data: Optional[Mapping[str, Any]],
    ) -> Optional["_TypeConfigurationModel"]:
        if not json_data:
            return None
        return cls(
            TrustedAccountIds=json_data.get("TrustedAccountIds"),
            TrustedOrganizationIds=json_data.get("TrustedOrganizationIds"),
            TrustedOrganizationalUnitPaths=json_data.get("TrustedOrganizationalUnitPaths"),
            TrustDeployingAccount=json_data.get("TrustDeployingAccount"),
            AllowedReplicationRegions=json_data.get("AllowedReplicationRegions"),
            TrustedServicePrincipals=json_data.get("TrustedServicePrincipals"),
            AllowedUpstreamRegistryUrls=json_data.get("AllowedUpstreamRegistryUrls"),
            Exemptions=json_data.get("Exemptions"),
            AccountSource=json_data.get("AccountSource"),
            OrganizationsRoleArn=json_data.get("OrganizationsRoleArn"),
            CacheTtlSeconds=json_data.get("CacheTtlSeconds"),
            OrganizationsLookup=json_data.get("OrganizationsLookup"),
            SnapshotLocation=json_data.get("SnapshotLocation"),
            SnapshotRegion=json_data.get("SnapshotRegion"),
            SnapshotMaxAgeSeconds=json_data.get("SnapshotMaxAgeSeconds"),
            SnapshotFallback=json_data.get("SnapshotFallback"),
        )


# work around possible type aliasing issues when variable has same name as a model
_TypeConfigurationModel = TypeConfigurationModel


