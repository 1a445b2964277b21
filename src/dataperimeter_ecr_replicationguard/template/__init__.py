"""Whole templates: read them, find their resources and resolve what the template decides,
giving the resources :func:`..assess.assess` judges. Shared by ``hook-handler scan`` and the
hook's STACK and CHANGE_SET targets. Nothing here imports cfn-lint at import time."""

from .resolve import Context, Resolver, Unresolved
from .resources import NotATemplate, TemplateResource, resources_of
from .translate import placeholder_account, resolved, template_resources

__all__ = [
    "Context",
    "NotATemplate",
    "Resolver",
    "TemplateResource",
    "Unresolved",
    "placeholder_account",
    "resolved",
    "resources_of",
    "template_resources",
]
