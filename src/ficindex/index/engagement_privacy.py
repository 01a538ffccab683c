"""Engagement rows fit to publish: no reader's words, no reader's name (issue 17, item 4).

Readers who leave kudos, comments and bookmarks did not publish a work; a
publishable copy of the index (``export --metadata-only``) therefore keeps
*that* they responded, when, to which chapter and with which bookmark tags,
but not what they wrote nor who they are:

* comment text and bookmark notes are dropped (NULL), and so leave the
  full-text indexes when those are rebuilt;
* every login, pseud and guest name becomes a pseudonym
  ``HMAC-SHA256(salt, kind + name)``, cut to 20 hex digits (80 bits: no
  collision among any realistic number of readers).

Why a keyed hash with a secret salt, not a plain hash: AO3 logins are public
and few enough to hash them all, so an unsalted (or public-salt) hash would be
reversed by a dictionary in seconds. The salt is drawn once per index
(``engagement_salt``, created with the engagement tables) and never published:
the table is emptied in the public copy. The pseudonym is *stable*: one reader
has the same one in kudos, comments and bookmarks, and in every public copy of
the same index, so research on reader behaviour (how many works one reader
kudosed, how commenters move between chapters) still works. Copies of
different indexes do not share a salt, so their readers cannot be linked
across datasets unless the owner deliberately passes the same salt.
What a stable pseudonym cannot hide: a reader with a unique pattern of
activity may still be recognised by someone who knows that pattern.

The fixed bylines "Anonymous Creator" and "Account Deleted" name nobody and
are kept.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass

from sqlite_utils import Database

from ficindex.errors import BadInput

#: How many hex digits of the HMAC a pseudonym keeps.
PSEUDONYM_HEX = 20


def pseudonym(salt: bytes, kind: str, name: str) -> str:
    """``"u"`` + 20 hex digits of HMAC-SHA256(salt, ``kind:name``); kind keeps logins,
    pseuds (``login/pseud``) and guest names apart."""
    digest = hmac.new(salt, f"{kind}:{name}".encode(), hashlib.sha256).hexdigest()
    return "u" + digest[:PSEUDONYM_HEX]


def index_salt(db: Database) -> bytes:
    """The index's secret salt (drawn by the engagement migration)."""
    row = db.execute("SELECT salt FROM engagement_salt WHERE id = 1").fetchone()
    if row is None:
        raise BadInput("the index has no engagement salt; open it with this ficindex to upgrade")
    return bytes(row[0])


@dataclass(frozen=True, slots=True)
class Pseudonyms:
    """The name rewriting of the public form, for SQL updates and for streamed exports alike.

    One object, so the public SQLite copy and ``export --metadata-only`` (JSON
    Lines, Parquet) give a reader the same pseudonym: same salt, same rules.
    """

    salt: bytes

    def login(self, name: str | None) -> str | None:
        """A login (kudos giver, commenter, bookmarker) as its pseudonym."""
        return None if name is None else pseudonym(self.salt, "user", name)

    def pseud(self, user: str | None, name: str | None) -> str | None:
        """A pseud, keyed by its login too (two users may share a pseud name)."""
        if user is None or name is None:
            return None
        return pseudonym(self.salt, "pseud", f"{user}/{name}")

    def guest(self, kind: str | None, name: str | None) -> str | None:
        """A guest's typed name as a pseudonym; the fixed bylines of other kinds are kept."""
        return pseudonym(self.salt, "guest", name) if kind == "guest" and name else name

    def logins(self, names: list[str]) -> list[str]:
        """A list of logins (``works.kudos_users``), each as its pseudonym."""
        return [pseudonym(self.salt, "user", name) for name in names]


def index_pseudonyms(db: Database) -> Pseudonyms:
    """The pseudonyms of the index's own salt (what every public form of it uses)."""
    return Pseudonyms(index_salt(db))


def pseudonymize_engagement(db: Database, salt: bytes | None = None) -> None:
    """Rewrite the engagement rows of ``db`` (a copy being made public) in place.

    ``salt`` defaults to the index's own; pass one explicitly only to link
    several indexes on purpose. The caller empties ``engagement_salt`` and
    rebuilds the FTS tables afterwards, as the public copy does for every table.
    """
    names = Pseudonyms(salt) if salt is not None else index_pseudonyms(db)
    conn = db.conn
    conn.create_function("fi_login", 1, names.login, deterministic=True)
    conn.create_function("fi_pseud", 2, names.pseud, deterministic=True)
    conn.create_function("fi_guest", 2, names.guest, deterministic=True)
    with db.atomic():
        db.execute("UPDATE kudos SET user = fi_login(user)")
        # Every right-hand side reads the row as it was, so fi_pseud sees the real login.
        db.execute(
            "UPDATE comments SET pseud = fi_pseud(user, pseud), user = fi_login(user), "
            "name = fi_guest(commenter_kind, name), text = NULL"
        )
        db.execute(
            "UPDATE bookmarks SET pseud = fi_pseud(user, pseud), user = fi_login(user), "
            "notes = NULL"
        )
        rows = db.execute("SELECT id, kudos_users FROM works WHERE kudos_users != '[]'").fetchall()
        db.conn.executemany(
            "UPDATE works SET kudos_users = ? WHERE id = ?",
            [(json.dumps(names.logins(json.loads(users))), work_id) for work_id, users in rows],
        )
