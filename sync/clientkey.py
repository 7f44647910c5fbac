"""The normalised client key that groups leads into client folders (Rule 3).

"Rossi Impianti S.r.l.", "ROSSI IMPIANTI srl" and "rossi-impianti" are one client. When the
company is empty the e-mail domain stands in for it, except for free-mail domains, where the
domain says nothing about the client.
"""

from __future__ import annotations

import re
import unicodedata

LEGAL_SUFFIXES = frozenset(
    {
        "inc", "incorporated", "ltd", "limited", "llc", "llp", "plc", "corp", "corporation",
        "co", "company", "gmbh", "ag", "kg", "sa", "sas", "sarl", "srl", "srls", "spa", "snc",
        "sapa", "scarl", "bv", "nv", "oy", "ab", "as", "aps", "pty", "kk", "sl", "slu",
    }
)  # fmt: skip

FREE_MAIL_DOMAINS = frozenset(
    {
        "gmail.com", "googlemail.com", "yahoo.com", "yahoo.it", "yahoo.co.uk", "ymail.com",
        "hotmail.com", "hotmail.it", "outlook.com", "outlook.it", "live.com", "live.it",
        "msn.com", "icloud.com", "me.com", "mac.com", "aol.com", "gmx.com", "gmx.de", "gmx.net",
        "web.de", "libero.it", "virgilio.it", "tiscali.it", "alice.it", "tin.it", "email.it",
        "proton.me", "protonmail.com", "pec.it", "fastwebnet.it", "mail.com", "yandex.com",
    }
)  # fmt: skip

# Second-level labels under which companies register (acme.co.uk, acme.com.au).
_SECOND_LEVEL = frozenset({"co", "com", "org", "net", "gov", "ac", "edu", "ltd", "plc"})

_SEPARATORS = re.compile(r"[\W_]+")  # punctuation, spacing and underscores
# The same for ASCII text, as a byte table: most names are ASCII, and the regex is slow.
_NOT_ALNUM = bytes(b for b in range(128) if not chr(b).isalnum())
_ASCII_SEPARATORS = bytes.maketrans(_NOT_ALNUM, b" " * len(_NOT_ALNUM))
# The dots of "s.r.l": a dot between two one-letter words. Written dot first, so that the regex
# engine looks for dots and tries the lookbehind only there: (?<=\b\w)\. tried it everywhere.
_INITIAL_DOT = re.compile(r"\.(?<=\b\w\.)(?=\w\b)")


def _fold(text: str) -> str:
    if text.isascii():  # no accents to take off: NFKD leaves ASCII as it is
        return text.casefold()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def company_key(company: str) -> str:
    """Lower case, accents, punctuation, spacing and trailing legal suffixes removed."""
    folded = _fold(company).replace("&", " and ")
    # "S.r.l." and "S.p.A." must collapse to one token before suffixes are recognised.
    if "." in folded:
        folded = _INITIAL_DOT.sub("", folded)
    if folded.isascii():
        words = folded.encode().translate(_ASCII_SEPARATORS).decode().split()
    else:
        words = _SEPARATORS.sub(" ", folded).split()
    while len(words) > 1 and words[-1] in LEGAL_SUFFIXES:
        words.pop()
    return " ".join(words)


def domain_key(email: str) -> str:
    """The registrable name of a business e-mail domain, or '' for free mail and non-addresses."""
    _, at, domain = email.strip().rpartition("@")
    domain = _fold(domain).strip().strip(".")
    if not at or "." not in domain or domain in FREE_MAIL_DOMAINS:
        return ""
    labels = domain.split(".")
    if labels[0] == "www":
        labels = labels[1:]
    if len(labels) >= 3 and labels[-2] in _SECOND_LEVEL and len(labels[-1]) == 2:
        return company_key(labels[-3])
    # Through company_key so that rossi-impianti.it meets "Rossi Impianti S.r.l.".
    return company_key(labels[-2]) if len(labels) >= 2 else ""


def client_key(company: str, email: str = "") -> str:
    """The key a lead is grouped by; '' when neither the company nor the e-mail says who it is."""
    key = company_key(company)
    return key if key else domain_key(email)
