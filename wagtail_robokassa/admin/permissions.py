"""Payment records are evidence: nobody adds, edits or deletes them in the admin, superusers
included. ``view`` and ``export`` are separate permissions that can be given to groups."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from wagtail.permission_policies import ModelPermissionPolicy

WRITE_ACTIONS = frozenset({"add", "change", "delete"})

try:  # Wagtail 8.0+
    from wagtail.permissions import register_permission_policy
except ImportError:  # Wagtail 7.4: the viewsets carry the policy themselves
    register_permission_policy = None


class ReadOnlyPermissionPolicy(ModelPermissionPolicy):
    def user_has_permission(self, user: Any, action: str) -> bool:
        return action not in WRITE_ACTIONS and super().user_has_permission(user, action)

    def users_with_any_permission(self, actions: Any) -> Any:
        allowed = [action for action in actions if action not in WRITE_ACTIONS]
        if not allowed:
            return get_user_model().objects.none()
        return super().users_with_any_permission(allowed)


class LinkPermissionPolicy(ReadOnlyPermissionPolicy):
    """Payment links are made in the admin (``add``), never edited or deleted there."""

    def user_has_permission(self, user: Any, action: str) -> bool:
        if action == "add":
            return ModelPermissionPolicy.user_has_permission(self, user, action)
        return super().user_has_permission(user, action)


def record_models() -> list[type]:
    from ..models import (
        Invoice,
        PaymentVisit,
        Refund,
        RejectedRequest,
        Subscription,
        SuccessNotification,
    )

    return [Invoice, SuccessNotification, PaymentVisit, RejectedRequest, Refund, Subscription]


def register_policies() -> None:
    """Register the read-only policy for every record model (before any viewset asks)."""
    if register_permission_policy is None:
        return
    for model in record_models():
        register_permission_policy(model, ReadOnlyPermissionPolicy(model))
    from ..models import PaymentLink

    register_permission_policy(PaymentLink, LinkPermissionPolicy(PaymentLink))


def policy_for(model: type) -> ModelPermissionPolicy:
    """The policy in force for a record model, on any supported Wagtail."""
    if register_permission_policy is None:
        from ..models import PaymentLink

        return (
            LinkPermissionPolicy(model) if model is PaymentLink else ReadOnlyPermissionPolicy(model)
        )
    from wagtail.permissions import policy_registry

    return policy_registry.get_by_type(model)
