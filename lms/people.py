"""Who holds which function in which unit, over time.

Memberships are never edited away: ending one sets ``ended_at``, moving a
person ends one membership and starts another. Every change made by an
executive or admin is written to the audit log in the same transaction.
"""
from .audit import record
from .models import Membership, Unit, User, db
from .timeutil import utcnow


class PeopleError(Exception):
    """A change that cannot be made (German message)."""


def running_memberships(user):
    return (Membership.select(Membership, Unit).join(Unit)
            .where((Membership.user == user) & Membership.ended_at.is_null())
            .order_by(Membership.started_at))


def _label(function):
    return Membership.FUNCTIONS.get(function, function)


def start_membership(user, unit, function, actor=None):
    """``user`` takes on ``function`` in ``unit`` from now on."""
    if function not in Membership.FUNCTIONS:
        raise PeopleError("Diese Funktion gibt es nicht.")
    if not unit.is_active:
        raise PeopleError(f"{unit.display_name} ist stillgelegt.")
    with db.atomic():
        duplicate = Membership.select().where(
            (Membership.user == user) & (Membership.unit == unit) & (Membership.function == function)
            & Membership.ended_at.is_null()).exists()
        if duplicate:
            raise PeopleError(f"{user.name} ist dort schon als {_label(function)} eingetragen.")
        membership = Membership.create(user=user, unit=unit, function=function, started_at=utcnow())
        if actor is not None:
            record(actor, "membership.start", membership,
                   f"{user.name} ist jetzt {_label(function)} in {unit.display_name}.",
                   user=user.id, unit=unit.id, function=function)
    return membership


def end_membership(membership, actor=None):
    """The person is no longer in this function (e.g. out of office after an election)."""
    with db.atomic():
        updated = (Membership.update(ended_at=utcnow())
                   .where((Membership.id == membership.id) & Membership.ended_at.is_null()).execute())
        if not updated:
            raise PeopleError("Diese Funktion ist schon beendet.")
        if actor is not None:
            record(actor, "membership.end", membership,
                   f"{membership.user.name} ist nicht mehr {_label(membership.function)} in "
                   f"{membership.unit.display_name}.",
                   user=membership.user_id, unit=membership.unit_id, function=membership.function)
    return Membership.get_by_id(membership.id)


def move_membership(membership, unit, function=None, actor=None):
    """End the membership and start one in ``unit`` (same function unless given)."""
    function = function or membership.function
    if unit.id == membership.unit_id and function == membership.function:
        raise PeopleError("Gliederung und Funktion sind unverändert.")
    with db.atomic():
        end_membership(membership)
        new = start_membership(membership.user, unit, function)
        if actor is not None:
            record(actor, "membership.move", new,
                   f"{membership.user.name}: von {_label(membership.function)} in {membership.unit.display_name} "
                   f"zu {_label(function)} in {unit.display_name}.",
                   user=membership.user_id, from_unit=membership.unit_id, to_unit=unit.id,
                   from_function=membership.function, function=function)
    return new


def set_roles(user, actor, trainer, executive, admin):
    """Grant or withdraw roles. An admin cannot take the admin role from
    themselves (so there is always someone who can undo a mistake)."""
    if user.id == actor.id and user.is_admin and not admin:
        raise PeopleError("Du kannst dir die Admin-Rolle nicht selbst entziehen.")
    before = {"trainer": user.is_trainer, "executive": user.is_executive, "admin": user.is_admin}
    after = {"trainer": trainer, "executive": executive, "admin": admin}
    if before == after:
        return user
    with db.atomic():
        User.update(is_trainer=trainer, is_executive=executive, is_admin=admin).where(User.id == user.id).execute()
        names = {"trainer": "Trainer*in", "executive": "Landesvorstand", "admin": "Admin"}
        roles = ", ".join(names[r] for r, on in after.items() if on) or "keine"
        record(actor, "user.roles", user, f"Rollen von {user.name}: {roles}.", before=before, after=after)
    return User.get_by_id(user.id)
