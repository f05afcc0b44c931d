"""Unified social credit codes (统一社会信用代码, GB 32100-2015): an organisation's code.

Layout of the 18 characters (positions 1-based)::

    1      registration authority (登记管理部门): 1 institutional establishment,
           5 civil affairs, 9 industry and commerce (now market regulation), Y other;
           later notices added 2, 3, 4, 6, 7, 8, A and N (see ``AUTHORITIES``)
    2      organisation type within that authority (e.g. 91 enterprise, 92 individual
           business, 12 public institution, 51 social organisation)
    3-8    administrative division of the registering authority (GB/T 2260), digits
    9-17   subject identifier = the 9-character organisation code of GB 11714: an
           8-character body and its own check character (position 17)
    18     check character, modulo 31 over positions 1-17

Alphabet: the 31 symbols ``0123456789ABCDEFGHJKLMNPQRTUWXY`` (no I, O, Z, S, V), each
worth its index (A = 10, ..., Y = 30). The check character uses weights
``3**(i-1) mod 31`` (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28) and is
``(31 - S mod 31) mod 31``. Since 31 is prime and no weight is 0 mod 31, changing any
single character to another symbol of the alphabet changes ``S mod 31``: **every single
substitution is detected**. Adjacent weights satisfy ``w[i+1] = 3 * w[i]``, so swapping
two different adjacent symbols changes ``S`` by ``(a - b) * (-2 * w[i]) != 0 (mod 31)``;
with the check character (weight 1 against 28) the change is ``(a - b) * 27``: adjacent
transpositions are detected too.

The embedded GB 11714 organisation code check (position 17): weights 3, 7, 9, 10, 5, 8, 4,
2 on the 8 body characters, valued 0-9 for digits and **A = 10 ... Z = 35 (the full Latin
alphabet, not the 31-symbol index)**; the check is ``11 - S mod 11``, written ``X`` for 10
and ``0`` for 11. (Verified on published codes such as ``91310115MA1K3BTP2B``: with the
31-symbol index instead, most codes with letters fail.)

What is and is not enforced:

* every position must be in the 31-symbol alphabet; positions 3-8 must be digits (the
  standard says the division code uses Arabic numerals);
* positions 1 and 2 may be any symbol of the alphabet. stdnum's ``stdnum.cn.uscc``
  requires digits in positions 1-8, which rejects codes such as ``Y1...`` (authority
  "other") and ``N2...`` (village collectives); this module does not. An authority
  missing from ``AUTHORITIES`` is reported with a null name, not as an error;
* both check characters must be right, unless the code is on the allow-list of known
  non-conforming pilot codes (``xinyong/data/pilot_codes.txt`` plus any passed in).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

from stdnum.cn import uscc as stdnum_uscc

from xinyong.core.codes.regions import region_name

__all__ = [
    "ALPHABET",
    "AUTHORITIES",
    "GB11714_WEIGHTS",
    "USCC_WEIGHTS",
    "Authority",
    "gb11714_value",
    "org_code_check_char",
    "organisation_problems",
    "parse_allow_list",
    "shipped_allow_list",
    "uscc_check_char",
]

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
GB11714_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
PILOT_CODES_RESOURCE = "pilot_codes.txt"


@dataclass(frozen=True, slots=True)
class Authority:
    """A registration authority (position 1) and the organisation types (position 2) it
    registers."""

    name: str
    types: dict[str, str] = field(default_factory=dict)


# GB 32100-2015 defined 1, 5, 9 and Y; the other authorities were added by later notices
# of the standardisation administration. Names: English first, then the Chinese term.
AUTHORITIES: dict[str, Authority] = {
    "1": Authority(
        "institutional establishment (机构编制)",
        {
            "1": "government organ (机关)",
            "2": "public institution (事业单位)",
            "3": "mass organisation managed by the central establishment office "
            "(中央编办直接管理机构编制的群众团体)",
            "9": "other (其他)",
        },
    ),
    "2": Authority(
        "foreign affairs (外交)",
        {"1": "resident foreign news agency (外国常驻新闻机构)", "9": "other (其他)"},
    ),
    "3": Authority(
        "judicial administration (司法行政)",
        {
            "1": "law firm (律师执业机构)",
            "2": "notary office (公证处)",
            "3": "grassroots legal service office (基层法律服务所)",
            "4": "judicial expertise institution (司法鉴定机构)",
            "5": "arbitration commission (仲裁委员会)",
            "9": "other (其他)",
        },
    ),
    "4": Authority(
        "culture (文化)",
        {"1": "foreign cultural centre in China (外国在华文化中心)", "9": "other (其他)"},
    ),
    "5": Authority(
        "civil affairs (民政)",
        {
            "1": "social organisation (社会团体)",
            "2": "private non-enterprise unit (民办非企业单位)",
            "3": "foundation (基金会)",
            "9": "other (其他)",
        },
    ),
    "6": Authority(
        "tourism (旅游)",
        {
            "1": "representative office of a foreign tourism authority (外国旅游部门常驻代表机构)",
            "2": "representative office of a Hong Kong, Macao or Taiwan tourism authority "
            "(港澳台地区旅游部门常驻内地(大陆)代表机构)",
            "9": "other (其他)",
        },
    ),
    "7": Authority(
        "religious affairs (宗教)",
        {
            "1": "place of religious activity (宗教活动场所)",
            "2": "religious school (宗教院校)",
            "9": "other (其他)",
        },
    ),
    "8": Authority(
        "trade unions (工会)",
        {"1": "grassroots trade union (基层工会)", "9": "other (其他)"},
    ),
    "9": Authority(
        "industry and commerce / market regulation (工商)",
        {
            "1": "enterprise (企业)",
            "2": "individual business (个体工商户)",
            "3": "farmers' specialised cooperative (农民专业合作社)",
        },
    ),
    "A": Authority(
        "Central Military Commission reform and establishment office (中央军委改革和编制办公室)",
        {"1": "military public institution (军队事业单位)", "9": "other (其他)"},
    ),
    "N": Authority(
        "agriculture (农业)",
        {
            "1": "group-level collective economic organisation (组级集体经济组织)",
            "2": "village-level collective economic organisation (村级集体经济组织)",
            "3": "township-level collective economic organisation (乡镇级集体经济组织)",
            "9": "other (其他)",
        },
    ),
    "Y": Authority("other (其他)", {"1": "not subdivided (不再具体划分)"}),
}


def gb11714_value(ch: str) -> int:
    """Value of a character in the GB 11714 check: digits 0-9, letters A = 10 ... Z = 35."""
    if len(ch) == 1 and "0" <= ch <= "9":
        return ord(ch) - ord("0")
    if len(ch) == 1 and "A" <= ch <= "Z":
        return ord(ch) - ord("A") + 10
    raise ValueError(f"{ch!r} is not a digit or upper-case Latin letter")


def org_code_check_char(body: str) -> str:
    """GB 11714 check character for an 8-character organisation code body.

    >>> org_code_check_char("60003734")
    '1'
    """
    if len(body) != 8:
        raise ValueError(f"an organisation code body has 8 characters, got {body!r}")
    total = sum(gb11714_value(c) * w for c, w in zip(body, GB11714_WEIGHTS, strict=True))
    value = 11 - total % 11
    return {10: "X", 11: "0"}.get(value, str(value))


def uscc_check_char(body: str) -> str:
    """GB 32100 check character for the first 17 characters of ``body``.

    >>> uscc_check_char("91110000600037341")
    'L'
    """
    head = body[:17]
    if len(head) != 17 or any(c not in ALPHABET for c in head):
        raise ValueError(f"need 17 characters of the GB 32100 alphabet, got {head!r}")
    return str(stdnum_uscc.calc_check_digit(head))


def organisation_problems(code: str) -> tuple[list[str], dict[str, object]]:
    """Everything wrong with ``code`` read as a unified social credit code, and its fields.

    ``code`` must already be normalised (stripped, upper case). Returns
    ``(problems, fields)``; an empty problem list means the code conforms. Fields:
    registration_authority, registration_authority_name, org_type, org_type_name, region,
    region_name, org_code (``allow_listed`` is added by the caller).
    """
    problems: list[str] = []
    fields: dict[str, object] = {}
    if len(code) != 18:
        problems.append(f"has {len(code)} characters; a unified social credit code has 18")
        return problems, fields
    for i, ch in enumerate(code, start=1):
        if ch not in ALPHABET:
            problems.append(
                f"character {ch!r} at position {i} is not in the GB 32100 alphabet {ALPHABET}"
            )
    if problems:
        return problems, fields

    authority = AUTHORITIES.get(code[0])
    fields["registration_authority"] = code[0]
    fields["registration_authority_name"] = authority.name if authority else None
    fields["org_type"] = code[1]
    fields["org_type_name"] = authority.types.get(code[1]) if authority else None
    region = code[2:8]
    fields["region"] = region
    if region.isdigit():
        fields["region_name"] = region_name(region)
    else:
        fields["region_name"] = None
        problems.append(f"division code {region} at positions 3-8 must be 6 digits (GB/T 2260)")
    fields["org_code"] = code[8:17]
    expected_org = org_code_check_char(code[8:16])
    if code[16] != expected_org:
        problems.append(
            f"organisation code check character at position 17 is {code[16]!r}, "
            f"expected {expected_org!r} (GB 11714 check over positions 9-16)"
        )
    expected = uscc_check_char(code)
    if code[17] != expected:
        problems.append(f"check character at position 18 is {code[17]!r}, expected {expected!r}")
    return problems, fields


def parse_allow_list(lines: Iterable[str], *, source: str = "allow-list") -> frozenset[str]:
    """Read allow-list lines: one code a line, ``#`` starts a comment, blanks ignored.

    Entries are normalised (stripped, upper case). Raises ValueError naming the source and
    line for an entry that is not 18 characters of the GB 32100 alphabet.
    """
    codes: set[str] = set()
    for number, line in enumerate(lines, start=1):
        entry = line.split("#", 1)[0].strip().upper()
        if not entry:
            continue
        if len(entry) != 18 or any(c not in ALPHABET for c in entry):
            raise ValueError(
                f"{source} line {number}: {entry!r} is not 18 characters of the GB 32100 "
                f"alphabet {ALPHABET}"
            )
        codes.add(entry)
    return frozenset(codes)


@cache
def shipped_allow_list() -> frozenset[str]:
    """The allow-list shipped with the package (``xinyong/data/pilot_codes.txt``)."""
    text = resources.files("xinyong.data").joinpath(PILOT_CODES_RESOURCE).read_text("utf-8")
    return parse_allow_list(text.splitlines(), source=f"xinyong/data/{PILOT_CODES_RESOURCE}")
