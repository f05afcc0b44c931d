"""Credit codes: resident identity numbers (GB 11643-1999) and unified social credit codes
(GB 32100-2015, with the embedded GB 11714 organisation code).

* :func:`check` reads any code, tells its kind and validity, and explains what is wrong
  and where (:class:`CodeCheck`);
* :mod:`.resident` and :mod:`.organisation` hold each standard's rules and check
  characters, :mod:`.regions` the administrative division codes and names;
* :mod:`.issue` issues unique, valid codes for a synthetic population from a numpy
  ``Generator``, vectorised.

This package is pure: the only thing it reads is data shipped inside packages (stdnum's
division table, ``xinyong/data/pilot_codes.txt``).
"""

from typing import TYPE_CHECKING

from xinyong.core.codes.check import (
    CodeCheck,
    Kind,
    check,
    check_organisation,
    check_resident,
    normalise,
)
from xinyong.core.codes.organisation import (
    ALPHABET,
    AUTHORITIES,
    org_code_check_char,
    parse_allow_list,
    shipped_allow_list,
    uscc_check_char,
)
from xinyong.core.codes.regions import county_codes, province_name, region_name
from xinyong.core.codes.resident import (
    age_on,
    birth_date,
    convert_15_to_18,
    resident_check_char,
    sex,
)

__all__ = [
    "ALPHABET",
    "AUTHORITIES",
    "CodeCheck",
    "Kind",
    "SequenceCapacityError",
    "age_on",
    "birth_date",
    "check",
    "check_organisation",
    "check_resident",
    "convert_15_to_18",
    "county_codes",
    "issue_organisation_codes",
    "issue_resident_ids",
    "make_resident_id",
    "make_uscc",
    "normalise",
    "org_code_check_char",
    "parse_allow_list",
    "province_name",
    "random_regions",
    "region_name",
    "resident_check_char",
    "sex",
    "shipped_allow_list",
    "uscc_check_char",
]


_ISSUE = (
    "SequenceCapacityError",
    "issue_organisation_codes",
    "issue_resident_ids",
    "make_resident_id",
    "make_uscc",
    "random_regions",
)


def __getattr__(name: str) -> object:
    """The issuing functions load numpy: imported on first use, so checking a code does not."""
    if name in _ISSUE:
        from xinyong.core.codes import issue

        return getattr(issue, name)
    raise AttributeError(f"module 'xinyong.core.codes' has no attribute {name!r}")


if TYPE_CHECKING:
    from xinyong.core.codes.issue import (
        SequenceCapacityError,
        issue_organisation_codes,
        issue_resident_ids,
        make_resident_id,
        make_uscc,
        random_regions,
    )
