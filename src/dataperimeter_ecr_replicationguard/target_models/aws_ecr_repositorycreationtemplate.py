# DO NOT modify this file by hand, changes will be overwritten
from dataclasses import dataclass

from cloudformation_cli_python_lib.interface import BaseModel
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
class AwsEcrRepositorycreationtemplate(BaseModel):
    AppliedFor: Optional[AbstractSet[str]]
    CreatedAt: Optional[str]
    CustomRoleArn: Optional[str]
    Description: Optional[str]
    EncryptionConfiguration: Optional["_EncryptionConfiguration"]
    ImageTagMutability: Optional[str]
    ImageTagMutabilityExclusionFilters: Optional[Sequence["_ImageTagMutabilityExclusionFilter"]]
    LifecyclePolicy: Optional[str]
    Prefix: Optional[str]
    RepositoryPolicy: Optional[str]
    ResourceTags: Optional[AbstractSet["_Tag"]]
    UpdatedAt: Optional[str]

    @classmethod
    def _deserialize(
        cls: Type["_AwsEcrRepositorycreationtemplate"],
        json_data: Optional[Mapping[str, Any]],
    ) -> Optional["_AwsEcrRepositorycreationtemplate"]:
        if not json_data:
            return None
        dataclasses = {n: o for n, o in getmembers(sys.modules[__name__]) if isclass(o)}
        recast_object(cls, json_data, dataclasses)
        return cls(
            AppliedFor=set_or_none(json_data.get("AppliedFor")),
            CreatedAt=json_data.get("CreatedAt"),
            CustomRoleArn=json_data.get("CustomRoleArn"),
            Description=json_data.get("Description"),
            EncryptionConfiguration=EncryptionConfiguration._deserialize(json_data.get("EncryptionConfiguration")),
            ImageTagMutability=json_data.get("ImageTagMutability"),
            ImageTagMutabilityExclusionFilters=deserialize_list(json_data.get("ImageTagMutabilityExclusionFilters"), ImageTagMutabilityExclusionFilter),
            LifecyclePolicy=json_data.get("LifecyclePolicy"),
            Prefix=json_data.get("Prefix"),
            RepositoryPolicy=json_data.get("RepositoryPolicy"),
            ResourceTags=set_or_none(json_data.get("ResourceTags")),
            UpdatedAt=json_data.get("UpdatedAt"),
        )


# work around possible type aliasing issues when variable has same name as a model
_AwsEcrRepositorycreationtemplate = AwsEcrRepositorycreationtemplate


@dataclass
class EncryptionConfiguration(BaseModel):
    EncryptionType: Optional[str]
    KmsKey: Optional[str]

    @classmethod
    def _deserialize(
        cls: Type["_EncryptionConfiguration"],
        json_data: Optional[Mapping[str, Any]],
    ) -> Optional["_EncryptionConfiguration"]:
        if not json_data:
            return None
        return cls(
            EncryptionType=json_data.get("EncryptionType"),
            KmsKey=json_data.get("KmsKey"),
        )


# work around possible type aliasing issues when variable has same name as a model
_EncryptionConfiguration = EncryptionConfiguration


@dataclass
class ImageTagMutabilityExclusionFilter(BaseModel):
    ImageTagMutabilityExclusionFilterType: Optional[str]
    ImageTagMutabilityExclusionFilterValue: Optional[str]

    @classmethod
    def _deserialize(
        cls: Type["_ImageTagMutabilityExclusionFilter"],
        json_data: Optional[Mapping[str, Any]],
    ) -> Optional["_ImageTagMutabilityExclusionFilter"]:
        if not json_data:
            return None
        return cls(
            ImageTagMutabilityExclusionFilterType=json_data.get("ImageTagMutabilityExclusionFilterType"),
            ImageTagMutabilityExclusionFilterValue=json_data.get("ImageTagMutabilityExclusionFilterValue"),
        )


# work around possible type aliasing issues when variable has same name as a model
_ImageTagMutabilityExclusionFilter = ImageTagMutabilityExclusionFilter


@dataclass
class Tag(BaseModel):
    Key: Optional[str]
    Value: Optional[str]

    @classmethod
    def _deserialize(
        cls: Type["_Tag"],
        json_data: Optional[Mapping[str, Any]],
    ) -> Optional["_Tag"]:
        if not json_data:
            return None
        return cls(
            Key=json_data.get("Key"),
            Value=json_data.get("Value"),
        )


# work around possible type aliasing issues when variable has same name as a model
_Tag = Tag


