"""The login accounts an API process remembers, so that a request with a token does not read the
accounts table each time, and forgets as soon as the table says an account changed.

Remembering is safe only while every change is heard. On PostgreSQL a trigger on the accounts
table notifies a channel with the user name of every changed account (`ledger.accounts`), and
the process's listener (`api.store_listener`) passes it on here; while the listener is not
connected, nothing is remembered and every request reads the table. The embedded stores notify
nobody, so there the cache never trusts itself and every request reads the table.

A change is in force in the API once its notification arrives: milliseconds after the command
that made it (`ledger users disable ...`) returns.
"""

from __future__ import annotations

import threading
from enum import Enum
from typing import Final, Literal

from api.store_listener import Listening
from ledger.accounts import Account, Accounts


class _Forgotten(Enum):
    FORGOTTEN = "forgotten"


FORGOTTEN: Final = _Forgotten.FORGOTTEN
"""What `AccountCache.remembered` answers for an account it does not remember."""


class AccountCache:
    """The enabled accounts (or their absence) asked for by tokens, remembered while trusted."""

    def __init__(self, accounts: Accounts) -> None:
        self._accounts = accounts
        self._lock = threading.Lock()
        self._news = threading.Condition(self._lock)
        self._remembered: dict[str, Account | None] = {}
        self._trusted = False
        # Moves on every change heard: a read that began before a change may not be
        # remembered after it (it could have read the account as it was before).
        self._generation = 0

    @property
    def trusted(self) -> bool:
        """Whether every change is being heard, so that what is remembered is current."""
        return self._trusted

    def remembered(self, username: str) -> Account | Literal[_Forgotten.FORGOTTEN] | None:
        """The enabled account or None (no such enabled account), or FORGOTTEN: read it."""
        if not self._trusted:
            return FORGOTTEN
        return self._remembered.get(username, FORGOTTEN)

    def read(self, username: str) -> Account | None:
        """The enabled account read from the table (blocking), remembered when trusted."""
        generation = self._generation
        account = self._accounts.active(username)
        with self._lock:
            if self._trusted and generation == self._generation:
                self._remembered[username] = account
        return account

    def changed(self, username: str) -> None:
        """The table says this account changed (an empty name: the whole table did)."""
        with self._lock:
            self._generation += 1
            if username:
                self._remembered.pop(username, None)
            else:
                self._remembered.clear()
            self._news.notify_all()

    def wait_until_forgotten(self, username: str, timeout: float) -> bool:
        """Block until this account is not remembered (a change to it was heard, or nothing is
        trusted); False when `timeout` seconds pass first."""
        with self._news:
            return self._news.wait_for(
                lambda: not self._trusted or username not in self._remembered, timeout
            )

    def wait_until_trusted(self, timeout: float) -> bool:
        """Block until every change is heard; False when `timeout` seconds pass first."""
        with self._news:
            return self._news.wait_for(lambda: self._trusted, timeout)

    def heard(self) -> None:
        """Every change from now on is heard: start remembering, from nothing."""
        with self._lock:
            self._generation += 1
            self._remembered.clear()
            self._trusted = True
            self._news.notify_all()

    def lost(self) -> None:
        """Changes may go unheard: forget everything and read the table until heard again."""
        with self._lock:
            self._generation += 1
            self._remembered.clear()
            self._trusted = False
            self._news.notify_all()

    def listening(self) -> Listening:
        """What the store's listener should do with the accounts channel."""
        return Listening(notified=self.changed, on_heard=self.heard, on_lost=self.lost)
