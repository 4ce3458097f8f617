"""Login throttling that nobody can use to lock someone else out.

Attempts are counted per *pair* of account and address (a stranger's wrong
passwords slow down only that stranger's pair), and failures per address
(one address guessing many accounts; successes don't count there, so a
seminar logging in over one network is never slowed). The first ``free``
attempts of a key go straight to the password check; after that each
attempt waits for a delay that doubles (1, 2, 4 … minutes, at most
``max_delay``). A successful login clears its pair; a successful password
reset clears every pair of the account. A key untouched for
``forget_after`` starts over.

Each attempt of a pair is *claimed* before the password is checked, with a
conditional UPDATE (compare-and-set on the count), so concurrent attempts
cannot together exceed the free ones: twenty simultaneous wrong logins make
exactly ``free`` password checks. Counts live in the database,
so every gunicorn worker sees the same numbers. Keys are hashes: no e-mail
address is stored here.
"""
import hashlib
from dataclasses import dataclass
from datetime import timedelta

from peewee import IntegrityError

from .accounts import normalize_email
from .models import LoginAttempts, db
from .timeutil import utcnow

CLAIM_RETRIES = 20


@dataclass
class Claim:
    allowed: bool
    retry_at: object = None  # naive UTC, when refused


def _digest(text):
    return hashlib.sha256(text.encode()).hexdigest()[:40]


def account_hash(email):
    return _digest("account:" + normalize_email(email))


class LoginThrottle:
    def __init__(self, free_per_pair, free_per_address, first_delay, max_delay, forget_after):
        self.free_per_pair = free_per_pair
        self.free_per_address = free_per_address
        self.first_delay = first_delay
        self.max_delay = max_delay
        self.forget_after = forget_after

    @classmethod
    def from_config(cls, config):
        return cls(config["LOGIN_FREE_ATTEMPTS"], config["LOGIN_FREE_ATTEMPTS_PER_ADDRESS"],
                   timedelta(minutes=1), timedelta(minutes=config["LOGIN_MAX_DELAY_MINUTES"]),
                   timedelta(minutes=config["LOGIN_THROTTLE_MINUTES"]))

    def _pair_key(self, email, address):
        return "pair:" + _digest(f"{normalize_email(email)}|{address or '-'}")

    def _address_key(self, address):
        return "address:" + _digest(address or "-")

    def delay(self, over):
        """The wait after ``over`` attempts beyond the free ones (1 = the first)."""
        return min(self.first_delay * 2 ** (over - 1), self.max_delay)

    def claim(self, email, address, now=None):
        """Reserve one password check for this pair, or say until when there
        is none (also when the address failed too often). Claim before
        checking the password."""
        now = now or utcnow()
        by_address = LoginAttempts.get_or_none(LoginAttempts.key == self._address_key(address))
        if by_address is not None and by_address.attempts >= self.free_per_address and now < by_address.next_allowed_at:
            return Claim(False, by_address.next_allowed_at)
        return self._claim_key(self._pair_key(email, address), self.free_per_pair, now, account_hash(email))

    def failed(self, address, now=None):
        """A wrong password or code: count it against the address."""
        self._claim_key(self._address_key(address), self.free_per_address, now or utcnow(), None, always=True)

    def _claim_key(self, key, free, now, account, always=False):
        for _ in range(CLAIM_RETRIES):
            row = LoginAttempts.get_or_none(LoginAttempts.key == key)
            if row is None:
                try:
                    with db.atomic():
                        LoginAttempts.create(key=key, account=account, attempts=0, next_allowed_at=now,
                                             updated_at=now)
                except IntegrityError:
                    pass  # another request created it a moment ago
                continue
            if row.attempts >= free and now < row.next_allowed_at and not always:
                return Claim(False, row.next_allowed_at)
            forgotten = row.updated_at < now - self.forget_after and now >= row.next_allowed_at
            attempts = (0 if forgotten else row.attempts) + 1
            next_allowed = now + self.delay(attempts - free + 1) if attempts >= free else now
            taken = (LoginAttempts
                     .update(attempts=attempts, next_allowed_at=next_allowed, updated_at=now)
                     .where((LoginAttempts.id == row.id) & (LoginAttempts.attempts == row.attempts)
                            & (LoginAttempts.updated_at == row.updated_at))
                     .execute())
            if taken:
                return Claim(True)
        return Claim(False, now + timedelta(seconds=5))  # too many at once: ask to wait a moment

    def succeeded(self, email, address, now=None):
        """A correct password (and code): this pair starts over, and keys
        nobody used for a day are forgotten."""
        LoginAttempts.delete().where(LoginAttempts.key == self._pair_key(email, address)).execute()
        self.sweep(now)

    @staticmethod
    def clear_account(email):
        """A successful password reset: no pair of the account stays delayed."""
        LoginAttempts.delete().where(LoginAttempts.account == account_hash(email)).execute()

    def sweep(self, now=None):
        """Forget keys unused for a day that hold nobody back."""
        now = now or utcnow()
        LoginAttempts.delete().where((LoginAttempts.updated_at < now - timedelta(days=1))
                                     & (LoginAttempts.next_allowed_at < now)).execute()
