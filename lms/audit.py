"""The audit log: every change executives and admins make to people, units
and roles, readable by them on the dashboard."""
from .models import AuditLog


def record(actor, action, target, summary, **details):
    """Append an entry. ``actor`` None means the command line."""
    return AuditLog.create(
        actor=actor.id if actor is not None else None,
        action=action,
        target_type=type(target).__name__.lower(),
        target_id=target.id,
        summary=summary,
        details=details,
    )
