"""The audit log: every change executives and admins make to people, units
and roles, readable by them on the dashboard."""
from .models import AuditLog, User


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


HIDDEN_PERSON = "eine Person"


def anonymised_summaries(entries):
    """{entry id: summary without people's names}, for the log while the
    dashboard shows no names. Entries name a person by ``person_name`` (and
    ``successor_name``) in their details; older entries only by the person's
    id, whose current name is looked up (one query for all)."""
    ids = set()
    for entry in entries:
        details = entry.details or {}
        for key in ("person", "user", "successor"):
            if isinstance(details.get(key), int):
                ids.add(details[key])
        if entry.target_type == "user" and entry.target_id:
            ids.add(entry.target_id)
    current = {user.id: user.name for user in User.select(User.id, User.name).where(User.id.in_(list(ids) or [0]))}
    result = {}
    for entry in entries:
        details = entry.details or {}
        names = {details.get("person_name"), details.get("successor_name")}
        names |= {current.get(details.get(key)) for key in ("person", "user", "successor")}
        if entry.target_type == "user":
            names.add(current.get(entry.target_id))
        summary = entry.summary
        for name in sorted(filter(None, names), key=len, reverse=True):
            summary = summary.replace(name, HIDDEN_PERSON)
        result[entry.id] = summary
    return result


def actor_label(entry, show_names):
    """Who made the change: the name, or without names the role."""
    if entry.actor is None:
        return (entry.details or {}).get("by", "Kommandozeile")
    if show_names:
        return entry.actor.name
    return "Admin" if entry.actor.is_admin else "Landesvorstand" if entry.actor.is_executive else "Vorstand der Gliederung"
