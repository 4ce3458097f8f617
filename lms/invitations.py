"""Signed invitation links: one unit, one function, an expiry and a number
of uses.

The link is ``/invite/<token>``. The token is the invitation's id, unit and
function, signed with the app's secret (itsdangerous), so editing any part of
it breaks the signature. Whether the invitation still works (not expired,
not revoked, uses left) is decided by its row, so executives can revoke it.
Using it up is one conditional UPDATE: when two people use a single-use link
at the same moment, exactly one of them gets it.

A link that no longer works still lets the person register or join, as a
pending request (``InvitationCheck.message`` says why).
"""
from dataclasses import dataclass, replace
from datetime import timedelta

import segno
from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from peewee import JOIN

from .audit import record
from .models import Invitation, Membership, Unit, User, db
from .timeutil import format_date, utcnow
from .urls import external_url

DEFAULT_DAYS = 14
MAX_DAYS = 90
DEFAULT_USES = 1
MAX_USES = 300  # a big seminar, not an open door
_SALT = "invitation"


class InvitationError(Exception):
    """An invitation that cannot be created (German message)."""


def _serializer():
    return URLSafeSerializer(current_app.secret_key, salt=_SALT)


def invitation_token(invitation):
    return _serializer().dumps([invitation.id, invitation.unit_id, invitation.function])


def invitation_url(invitation):
    """The absolute link to pass on (also encoded in the QR code)."""
    return external_url("auth.invitation", token=invitation_token(invitation))


def qr_svg(link):
    """The link as an inline SVG QR code, for printing or showing on a screen."""
    return segno.make(link, error="m").svg_inline(scale=3, title="QR-Code zum Einladungslink")


def create_invitation(unit, function, created_by, days=DEFAULT_DAYS, max_uses=DEFAULT_USES, note="",
                      handover_from=None):
    if function not in Membership.CONFIRMED_FUNCTIONS:
        raise InvitationError("Einladen kann man als Mitgliederbeauftragte*r, Team oder Vorstand.")
    if not unit.is_active:
        raise InvitationError(f"{unit.display_name} ist stillgelegt.")
    if not 1 <= days <= MAX_DAYS:
        raise InvitationError(f"Ein Einladungslink gilt 1 bis {MAX_DAYS} Tage.")
    if not 1 <= max_uses <= MAX_USES:
        raise InvitationError(f"Ein Einladungslink lässt sich 1- bis {MAX_USES}-mal benutzen.")
    with db.atomic():
        invitation = Invitation.create(unit=unit, function=function, created_by=created_by,
                                       expires_at=utcnow() + timedelta(days=days), max_uses=max_uses,
                                       note=note.strip()[:120], handover_from=handover_from)
        what = "Übergabe-Link" if handover_from is not None else "Einladungslink"
        record(created_by, "invitation.create", invitation,
               f"{what} für {invitation.function_label} in {unit.display_name} erstellt "
               f"(gültig bis {format_date(invitation.expires_at)}, {max_uses}× nutzbar).",
               unit=unit.id, function=function)
    return invitation


def revoke_invitation(invitation, actor):
    with db.atomic():
        updated = (Invitation.update(revoked_at=utcnow())
                   .where((Invitation.id == invitation.id) & Invitation.revoked_at.is_null()).execute())
        if updated:
            record(actor, "invitation.revoke", invitation,
                   f"Einladungslink für {invitation.function_label} in {invitation.unit.display_name} "
                   "zurückgezogen.", unit=invitation.unit_id, function=invitation.function)
    return bool(updated)


def consume_invitation(invitation, now):
    """Use the invitation once, if it still works at ``now``; True when this
    call got a use. One conditional UPDATE, so concurrent uses cannot
    exceed ``max_uses``."""
    updated = (Invitation.update(uses=Invitation.uses + 1)
               .where((Invitation.id == invitation.id) & Invitation.is_open(now)).execute())
    return updated == 1


def open_invitations(unit_ids=None, now=None):
    """Invitations that still work, newest first, optionally for some units."""
    query = (Invitation.select(Invitation, Unit, User).join(Unit).switch(Invitation)
             .join(User, JOIN.LEFT_OUTER, on=(Invitation.created_by == User.id))
             .where(Invitation.is_open(now or utcnow()))
             .order_by(Invitation.created_at.desc()))
    if unit_ids is not None:
        query = query.where(Invitation.unit.in_(list(unit_ids) or [0]))
    return query


@dataclass
class InvitationCheck:
    """What a token says: the invitation (None when the signature is broken),
    the unit and function it names, and why it does not work (``problem``
    None when it does)."""

    invitation: Invitation | None
    unit_id: int | None
    function: str | None
    problem: str | None  # "tampered", "revoked", "expired", "used_up", "unit_retired", "own_link"

    @property
    def valid(self):
        return self.problem is None

    def for_user(self, user):
        """The check as it holds for ``user``: whoever created a link vouches
        for someone else with it, never for themselves."""
        if self.valid and self.invitation.created_by_id == user.id:
            return replace(self, problem="own_link")
        return self

    def matches(self, unit_id, function):
        """Whether the person chose exactly what the invitation is for."""
        return self.invitation is not None and self.unit_id == unit_id and self.function == function

    def message(self):
        """Why the link does not confirm anything, in German (None when valid)."""
        after = " Du kannst dich trotzdem eintragen: Deine Funktion wartet dann auf Bestätigung."
        if self.problem == "tampered":
            return "Dieser Einladungslink ist unvollständig oder wurde verändert." + after
        if self.problem == "expired":
            return f"Dieser Einladungslink ist am {format_date(self.invitation.expires_at)} abgelaufen." + after
        if self.problem == "used_up":
            return "Dieser Einladungslink ist schon so oft benutzt worden, wie er gilt." + after
        if self.problem == "revoked":
            return "Dieser Einladungslink wurde zurückgezogen." + after
        if self.problem == "own_link":
            return "Einen Einladungslink, den du selbst erstellt hast, kannst du nicht für dich nutzen."
        if self.problem == "unit_retired":
            return "Die Gliederung dieses Einladungslinks gibt es nicht mehr."
        return None


def check_invitation(token, now=None):
    """Read a token from a link; never raises for a bad one."""
    now = now or utcnow()
    try:
        data = _serializer().loads(token or "")
    except BadSignature as error:
        # The payload of an edited link may still pre-fill the form; it confirms nothing.
        unit_id, function = _unverified_choice(error.payload)
        return InvitationCheck(None, unit_id, function, "tampered")
    if not (isinstance(data, list) and len(data) == 3):
        return InvitationCheck(None, None, None, "tampered")
    invitation_id, unit_id, function = data
    invitation = (Invitation.select(Invitation, Unit).join(Unit).where(Invitation.id == invitation_id).first()
                  if isinstance(invitation_id, int) else None)
    if invitation is None or invitation.unit_id != unit_id or invitation.function != function:
        return InvitationCheck(None, None, None, "tampered")
    if invitation.revoked_at is not None:
        problem = "revoked"
    elif invitation.expires_at <= now:
        problem = "expired"
    elif invitation.uses >= invitation.max_uses:
        problem = "used_up"
    elif not invitation.unit.is_active:
        problem = "unit_retired"
    else:
        problem = None
    return InvitationCheck(invitation, unit_id, function, problem)


def _unverified_choice(payload):
    try:
        data = URLSafeSerializer("").load_payload(payload) if payload else None
    except BadSignature:
        return None, None
    if isinstance(data, list) and len(data) == 3 and isinstance(data[1], int) and data[2] in Membership.FUNCTIONS:
        return data[1], data[2]
    return None, None
