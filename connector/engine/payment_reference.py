"""The payment reference an entry carries, so the bookkeeping's bank import matches the payment.

A Belgian structured reference (OGM/VCS, "gestructureerde mededeling": `+++084/2613/66074+++`, also
written with `***`) is twelve digits whose last two are the first ten modulo 97, 97 when that is 0
(Febelfin's banking standard). A bank matches a payment on it only when it is exact, so a reference
written as one but with wrong check digits or the wrong number of digits is never sent: the entry is
booked without it and the run report says so. The check is python-stdnum's `stdnum.be.ogm_vcs`.
Any other text (an invoice number, a reference of another country) is sent as it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from stdnum.be import ogm_vcs
from stdnum.exceptions import InvalidChecksum, InvalidLength, ValidationError

# Written as a structured reference: between `+++` or `***`, or grouped 3/4/5 with slashes.
_DELIMITED = re.compile(r"^(\+\+\+|\*\*\*)[\d\s/]*(\+\+\+|\*\*\*)$")
_GROUPED = re.compile(r"^\d{3}\s*/\s*\d{4}\s*/\s*\d{5}$")


@dataclass(frozen=True)
class Checked:
    """What goes on the entry (`value`, None for nothing) and, when something was left out, why."""

    value: str | None
    problem: str | None = None


def is_structured(text: str) -> bool:
    """Whether `text` is written as a Belgian structured reference (valid or not)."""
    return bool(_DELIMITED.match(text) or _GROUPED.match(text))


def structured(digits: str) -> str:
    """Twelve digits as the reference is printed: `+++ddd/dddd/ddddd+++`."""
    return f"+++{ogm_vcs.format(digits)}+++"


def check(text: str | None) -> Checked:
    """The reference to send for `text`: a valid structured one in its printed form, another text
    as it is, nothing for nothing; a structured one that is not valid is left out, with the reason."""
    value = (text or "").strip()
    if not value:
        return Checked(None)
    if not is_structured(value):
        return Checked(value)
    plain = value.replace("*", "+")  # stdnum reads `+++` only; `***` is the same reference
    try:
        digits = ogm_vcs.validate(plain)
    except InvalidChecksum:
        digits = ogm_vcs.compact(plain)
        expected = ogm_vcs.calc_check_digits(digits)
        return Checked(
            None,
            f"{value!r} is not a valid structured reference: its check digits are {digits[-2:]}, "
            f"{digits[:10]} modulo 97 gives {expected}",
        )
    except InvalidLength:
        count = len(ogm_vcs.compact(plain))
        return Checked(None, f"{value!r} is not a valid structured reference: it has {count} digits, not 12")
    except ValidationError:
        return Checked(None, f"{value!r} is not a valid structured reference")
    return Checked(structured(digits))
