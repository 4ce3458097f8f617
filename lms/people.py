"""Who holds which function in which unit, over time, and who confirmed it.

A function in a unit starts as a *request* (pending) unless someone
responsible made it or a valid invitation link confirms it:

- officer, team and board functions wait until an executive, or a confirmed
  board member of a unit whose board may confirm (``Unit.board_confirms``),
  confirms or declines them;
- a valid signed invitation link for exactly that unit and function
  confirms at once (``lms.invitations``);
- an executive adding or moving a person confirms by doing so;
- "Andere Funktion / interessiert" grants nothing and needs no confirmation.

Only confirmed, running functions grant access and count for coverage,
from ``confirmed_at`` on. Memberships are never edited away: ending one
sets ``ended_at``, moving a person ends one membership and starts another.
Every change made by someone other than the person is written to the audit
log in the same transaction.
"""
from dataclasses import dataclass

from flask import current_app

from .audit import record
from .invitations import consume_invitation
from .mail import send_mail_later
from .sessions import end_all_sessions
from .models import Membership, Unit, User, db
from .timeutil import local_date, utcnow
from .urls import external_url


class PeopleError(Exception):
    """A change that cannot be made (German message)."""


def running_memberships(user):
    """The user's confirmed functions that hold now."""
    return (Membership.select(Membership, Unit).join(Unit)
            .where((Membership.user == user) & Membership.is_running())
            .order_by(Membership.confirmed_at))


def pending_memberships(user):
    return (Membership.select(Membership, Unit).join(Unit)
            .where((Membership.user == user) & Membership.is_pending())
            .order_by(Membership.started_at))


def _label(function):
    return Membership.FUNCTIONS.get(function, function)


def _check_can_start(user, unit, function):
    """Raise PeopleError unless ``user`` may start ``function`` in ``unit``;
    return their pending request for exactly that, if any."""
    if function not in Membership.FUNCTIONS:
        raise PeopleError("Diese Funktion gibt es nicht.")
    if not unit.is_active:
        raise PeopleError(f"{unit.display_name} ist stillgelegt.")
    running = (Membership.select()
               .where((Membership.user == user) & (Membership.unit == unit) & (Membership.function == function)
                      & Membership.ended_at.is_null())
               .first())
    if running is not None and not running.pending:
        raise PeopleError(f"{user.name} ist dort schon als {_label(function)} eingetragen.")
    return running


def request_membership(user, unit, function, invitation_check=None):
    """The user asks to hold ``function`` in ``unit``: from registration,
    *Mein Konto* or an invitation link. Returns the membership, confirmed
    when the function needs no confirmation or a valid invitation for
    exactly this unit and function, created by someone else, was used up by
    this call, else pending.
    A valid invitation also confirms the user's earlier request for the same.
    """
    with db.atomic():
        request = _check_can_start(user, unit, function)
        now = utcnow()
        if function not in Membership.CONFIRMED_FUNCTIONS:
            return Membership.create(user=user, unit=unit, function=function, started_at=now, confirmed_at=now,
                                     confirmed_via="self")
        invitation = invitation_check.invitation if invitation_check is not None else None
        genuine = invitation is not None and invitation_check.matches(unit.id, function)
        confirms = genuine and invitation_check.for_user(user).valid and consume_invitation(invitation, now)
        if request is not None and not confirms:
            raise PeopleError(f"Deine Anfrage als {_label(function)} in {unit.display_name} wartet schon auf "
                              "Bestätigung.")
        if request is None:
            # A genuine handover link that expired or was used up still names
            # the predecessor: whoever confirms the request ends that function.
            request = Membership.create(user=user, unit=unit, function=function, started_at=now,
                                        invitation=invitation.id if genuine else None,
                                        succeeds=invitation.handover_from_id if genuine else None)
        else:
            Membership.update(invitation=invitation.id, succeeds=invitation.handover_from_id).where(
                Membership.id == request.id).execute()
            request = Membership.get_by_id(request.id)
        if confirms:
            return _confirm(request, actor=None, via="invitation", now=now)
        return request


def add_membership(user, unit, function, actor, continues=None):
    """An executive (``actor``) enters ``user`` in ``unit`` with ``function``:
    confirmed by that act (a pending request for the same is confirmed)."""
    via = "executive"
    with db.atomic():
        request = _check_can_start(user, unit, function)
        now = utcnow()
        if request is not None:
            return _confirm(request, actor, via=via, now=now)
        membership = Membership.create(user=user, unit=unit, function=function, started_at=now, continues=continues)
        membership = _confirm(membership, actor, via=via, now=now, log=False)
        if continues is None:
            _record_person(actor, "membership.start", membership, user,
                           "{person} ist jetzt " f"{_label(function)} in {unit.display_name}.",
                           unit=unit.id, function=function)
    return membership


def _confirm(membership, actor, via, now, log=True):
    """Confirm a pending membership (conditional UPDATE: a second click or a
    second confirmer changes nothing). Ends the predecessor's function when
    this one is a handover. Returns the membership as stored."""
    updated = (Membership.update(confirmed_at=now, confirmed_via=via, decided_by=actor.id if actor else None)
               .where((Membership.id == membership.id) & Membership.is_pending()).execute())
    if not updated:
        raise PeopleError("Über diese Anfrage ist schon entschieden.")
    membership = Membership.select(Membership, User, Unit).join(User).switch(Membership).join(Unit) \
        .where(Membership.id == membership.id).get()
    if log:
        _record_person(actor, "membership.confirm", membership, membership.user,
                       "{person}: " f"{_label(membership.function)} in {membership.unit.display_name} "
                       f"{Membership.CONFIRMATION_ROUTES[via]}.",
                       unit=membership.unit_id, function=membership.function, via=via,
                       **({"by": "Einladungslink"} if via == "invitation" else {}))
    if membership.succeeds_id is not None:
        predecessor = Membership.select(Membership, User, Unit).join(User).switch(Membership).join(Unit) \
            .where((Membership.id == membership.succeeds_id) & Membership.ended_at.is_null()).first()
        if predecessor is not None:
            Membership.update(ended_at=now).where(Membership.id == predecessor.id).execute()
            _record_person(actor, "membership.handover", predecessor, predecessor.user,
                           "{person} hat das Amt " f"{_label(predecessor.function)} in "
                           f"{predecessor.unit.display_name} an {membership.user.name} übergeben.",
                           unit=predecessor.unit_id, function=predecessor.function, successor=membership.user_id,
                           successor_name=membership.user.name,
                           **({"by": "Einladungslink"} if via == "invitation" else {}))
    return membership


def _record_person(actor, action, target, person, summary, **details):
    """An audit entry about ``person``; ``{person}`` in the summary stands
    for the name, which the log hides while the dashboard shows no names."""
    return record(actor, action, target, summary.format(person=person.name), person=person.id,
                  person_name=person.name, **details)


def confirm_membership(membership, actor, via="executive"):
    """Someone responsible confirms a request (``via`` "executive" or "board")."""
    with db.atomic():
        return _confirm(membership, actor, via, utcnow())


def decline_membership(membership, actor):
    """Someone responsible declines a request. The row stays, marked declined;
    returns ``membership`` with that set."""
    with db.atomic():
        now = utcnow()
        updated = (Membership.update(declined_at=now, ended_at=now, decided_by=actor.id)
                   .where((Membership.id == membership.id) & Membership.is_pending()).execute())
        if not updated:
            raise PeopleError("Über diese Anfrage ist schon entschieden.")
        _record_person(actor, "membership.decline", membership, membership.user,
                       "Anfrage abgelehnt: {person} als " f"{_label(membership.function)} in "
                       f"{membership.unit.display_name}.", unit=membership.unit_id, function=membership.function)
    membership.declined_at = membership.ended_at = now
    membership.decided_by = actor.id
    return membership


def end_membership(membership, actor=None):
    """The person is no longer in this function (e.g. out of office after an
    election), or withdraws a pending request."""
    with db.atomic():
        updated = (Membership.update(ended_at=utcnow())
                   .where((Membership.id == membership.id) & Membership.ended_at.is_null()).execute())
        if not updated:
            raise PeopleError("Diese Funktion ist schon beendet.")
        if actor is not None:
            _record_person(actor, "membership.end", membership, membership.user,
                           "{person} ist nicht mehr " f"{_label(membership.function)} in "
                           f"{membership.unit.display_name}.",
                           unit=membership.unit_id, function=membership.function)
    return Membership.get_by_id(membership.id)


def can_reopen(membership, now=None):
    """"Nicht mehr im Amt" can be undone on the day it was recorded (Berlin
    time), as long as the person took up nothing in its place."""
    if membership.ended_at is None or membership.confirmed_at is None or membership.declined_at is not None:
        return False
    tz = current_app.config["TIMEZONE"]
    if local_date(membership.ended_at, tz) != local_date(now or utcnow(), tz):
        return False
    return not Membership.select().where(
        (Membership.user == membership.user_id) & (Membership.unit == membership.unit_id)
        & (Membership.function == membership.function) & Membership.ended_at.is_null()).exists() \
        and not Membership.select().where(Membership.continues == membership.id).exists() \
        and not Membership.select().where((Membership.succeeds == membership.id)
                                          & Membership.confirmed_at.is_null(False)).exists()


def reopen_membership(membership, actor):
    """Undo "Nicht mehr im Amt" of today: the function runs on as if never ended."""
    with db.atomic():
        if not can_reopen(membership):
            raise PeopleError("Das lässt sich nur am selben Tag rückgängig machen, und nur wenn die Person "
                              "die Funktion nicht inzwischen neu oder anders übernommen hat.")
        Membership.update(ended_at=None).where(Membership.id == membership.id).execute()
        _record_person(actor, "membership.reopen", membership, membership.user,
                       "Rückgängig gemacht: {person} ist wieder " f"{_label(membership.function)} in "
                       f"{membership.unit.display_name}.", unit=membership.unit_id, function=membership.function)
    return Membership.get_by_id(membership.id)


def move_membership(membership, unit, function, actor):
    """An executive (``actor``) ends the membership and starts a confirmed
    one in ``unit`` (same function when ``function`` is None) that
    continues it."""
    function = function or membership.function
    if unit.id == membership.unit_id and function == membership.function:
        raise PeopleError("Gliederung und Funktion sind unverändert.")
    if membership.pending:
        raise PeopleError("Über diese Anfrage ist noch nicht entschieden: bestätige oder lehne sie zuerst ab.")
    with db.atomic():
        end_membership(membership)
        new = add_membership(membership.user, unit, function, actor, continues=membership.id)
        _record_person(actor, "membership.move", new, membership.user,
                       "{person}: von " f"{_label(membership.function)} in {membership.unit.display_name} "
                       f"zu {_label(function)} in {unit.display_name}.",
                       from_unit=membership.unit_id, to_unit=unit.id, from_function=membership.function,
                       function=function)
    return new


def pending_requests(unit_ids=None):
    """Pending requests, oldest first, optionally only for some units."""
    query = (Membership.select(Membership, User, Unit).join(User).switch(Membership).join(Unit)
             .where(Membership.is_pending() & Membership.function.in_(Membership.CONFIRMED_FUNCTIONS)
                    & User.deleted_at.is_null())
             .order_by(Membership.started_at, Membership.id))
    if unit_ids is not None:
        query = query.where(Membership.unit.in_(list(unit_ids) or [0]))
    return query


@dataclass
class Decisions:
    decided: list  # memberships confirmed or declined by this call
    skipped: int  # already decided, or not the actor's to decide


def decide_requests(membership_ids, action, actor, allowed_unit_ids=None):
    """Confirm (``action`` "confirm") or decline ("decline") requests, each
    in its own transaction, only in units ``allowed_unit_ids`` (None: all).
    A board member confirms ``via`` "board", an executive "executive"; a
    board member's own requests are skipped."""
    query = pending_requests(allowed_unit_ids).where(Membership.id.in_(list(membership_ids)))
    if allowed_unit_ids is not None:
        # A board member never decides their own request: somebody else must
        # vouch for it (the state executive or another board member).
        query = query.where(Membership.user != actor.id)
    via = "executive" if allowed_unit_ids is None else "board"
    decided = []
    for membership in query:
        try:
            if action == "confirm":
                decided.append(confirm_membership(membership, actor, via))
            else:
                decided.append(decline_membership(membership, actor))
        except PeopleError:
            continue  # decided by someone else a moment ago
    return Decisions(decided, len(set(membership_ids)) - len(decided))


def notify_decision(membership):
    """Tell the person by mail how their request was decided."""
    if membership.confirmed_at is not None:
        link = (external_url("dashboard.unit", unit_id=membership.unit_id) if membership.function == "board"
                else external_url("learn.index"))
        return send_mail_later(membership.user.email, "Deine Funktion ist bestätigt", "function_confirmed",
                               membership=membership, link=link)
    return send_mail_later(membership.user.email, "Deine Anfrage wurde nicht bestätigt", "function_declined",
                           membership=membership, link=external_url("learn.index"))


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
        if any(before[role] and not after[role] for role in before):
            end_all_sessions(user)  # a removed role must not live on in an open session
        names = {"trainer": "Trainer*in", "executive": "Landesvorstand", "admin": "Admin"}
        roles = ", ".join(names[r] for r, on in after.items() if on) or "keine"
        _record_person(actor, "user.roles", user, user, "Rollen von {person}: " f"{roles}.", before=before,
                       after=after)
    return User.get_by_id(user.id)
