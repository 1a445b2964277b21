"""Whole templates: read them, find their resources, resolve what the template decides, and
evaluate every ECR resource with the core. Shared by ``hook-handler scan`` and the hook's
STACK and CHANGE_SET targets. Nothing here imports cfn-lint at import time."""

from .evaluate import ResourceResult, evaluate_template, placeholder_account
from .resolve import Context, Resolver, Unresolved
from .resources import NotATemplate, TemplateResource, resources_of

__all__ = [
    "Context",
    "NotATemplate",
    "ResourceResult",
    "Resolver",
    "TemplateResource",
    "Unresolved",
    "evaluate_template",
    "placeholder_account",
    "resources_of",
]
