"""The legal basis of a sanctions dossier: which categories of each human-rights sanctions regime the
target's acts fall under, derived from the acts' violation types (reviewer/records/vocab.py VIOLATIONS).

Three regimes are covered, each with the text it lists conduct under:

- **EU** Global Human Rights Sanctions Regime: Council Decision (CFSP) 2020/1999 article 1 and Council
  Regulation (EU) 2020/1998 article 2(1): (a) genocide, (b) crimes against humanity, (c) serious human
  rights violations or abuses (i torture and other cruel, inhuman or degrading treatment or punishment,
  ii slavery, iii extrajudicial, summary or arbitrary executions and killings, iv enforced disappearance,
  v arbitrary arrests or detentions) and (d) other violations or abuses where widespread, systematic or
  otherwise of serious concern (among them sexual and gender-based violence, and violations of freedom of
  religion or belief).
- **UK** Global Human Rights Sanctions Regulations 2020 (S.I. 2020/680), regulation 4: activities that
  would be a serious violation of the right to life, the right not to be subjected to torture or cruel,
  inhuman or degrading treatment or punishment, or the right to be free from slavery, servitude or forced or
  compulsory labour; regulation 6 defines an "involved person".
- **US** Executive Order 13818 section 1(a)(ii)(A) (serious human rights abuse), implementing the Global
  Magnitsky Human Rights Accountability Act (gross violations of internationally recognized human rights).

The mapping proposes categories for a reviewer to argue, it does not decide them: genocide and crimes
against humanity need a legal assessment of the whole situation, so no act type maps to them by itself.
The dossier stores category codes; formats print :data:`CATEGORIES` labels in their own language.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import lazy_gettext as _l

#: Regime code -> its name as a dossier heads it.
REGIMES = {
    "eu": _l(
        "European Union Global Human Rights Sanctions Regime (Council Decision (CFSP) 2020/1999, article 1; "
        "Council Regulation (EU) 2020/1998, article 2)"
    ),
    "uk": _l("United Kingdom Global Human Rights Sanctions Regulations 2020 (S.I. 2020/680)"),
    "us": _l("United States Executive Order 13818 and the Global Magnitsky Human Rights Accountability Act"),
}

#: Regime code -> who the regime reaches, as the dossier states it under the categories.
INVOLVEMENT = {
    "eu": _l(
        "Natural or legal persons, entities or bodies responsible for such violations or abuses, those who "
        "provide financial, technical or material support for them or are otherwise involved in them, and "
        "those associated with them (Regulation (EU) 2020/1998, article 3(3))."
    ),
    "uk": _l(
        'An "involved person" (regulation 6): a person who is or has been responsible for or engaged in '
        "such an activity, facilitated or supported it, or is owned, controlled or acting on behalf of such "
        "a person, including a person in a position of command or authority."
    ),
    "us": _l(
        "A foreign person responsible for or complicit in, or who has directly or indirectly engaged in, "
        "serious human rights abuse, or a leader or official of an entity that has engaged in it "
        "(Executive Order 13818, section 1(a)(ii))."
    ),
}

#: Category code -> its citation and words.
CATEGORIES = {
    "eu_torture": _l(
        "Article 2(1)(c)(i): torture and other cruel, inhuman or degrading treatment or punishment"
    ),
    "eu_slavery": _l("Article 2(1)(c)(ii): slavery"),
    "eu_killings": _l("Article 2(1)(c)(iii): extrajudicial, summary or arbitrary executions and killings"),
    "eu_disappearance": _l("Article 2(1)(c)(iv): enforced disappearance of persons"),
    "eu_detention": _l("Article 2(1)(c)(v): arbitrary arrests or detentions"),
    "eu_sgbv": _l(
        "Article 2(1)(d): sexual and gender-based violence, where widespread, systematic or otherwise of "
        "serious concern"
    ),
    "eu_religion": _l(
        "Article 2(1)(d): violations or abuses of freedom of religion or belief, where widespread, "
        "systematic or otherwise of serious concern"
    ),
    "uk_life": _l("Regulation 4(2)(a): a serious violation of the right to life"),
    "uk_torture": _l(
        "Regulation 4(2)(b): a serious violation of the right not to be subjected to torture or cruel, "
        "inhuman or degrading treatment or punishment"
    ),
    "uk_slavery": _l(
        "Regulation 4(2)(c): a serious violation of the right to be free from slavery, not to be held in "
        "servitude or required to perform forced or compulsory labour"
    ),
    "us_serious_abuse": _l("Executive Order 13818, section 1(a)(ii)(A): serious human rights abuse"),
    "us_torture": _l(
        "Global Magnitsky Act: a gross violation of human rights: torture or cruel, inhuman or degrading "
        "treatment or punishment"
    ),
    "us_detention": _l(
        "Global Magnitsky Act: a gross violation of human rights: prolonged detention without charges and "
        "trial"
    ),
    "us_life": _l(
        "Global Magnitsky Act: a gross violation of human rights: flagrant denial of the right to life, "
        "liberty or security of person"
    ),
}

_TORTURE = ("eu_torture", "uk_torture", "us_serious_abuse", "us_torture")

#: Violation type -> the categories it falls under, in every regime.
_BY_VIOLATION: dict[str, tuple[str, ...]] = {
    "arbitrary_detention": ("eu_detention", "us_serious_abuse", "us_detention"),
    "torture_interrogation": _TORTURE,
    "stress_positions": _TORTURE,
    "forced_nudity_search": (*_TORTURE, "eu_sgbv"),
    "rape": (*_TORTURE, "eu_sgbv"),
    "sexual_violence": (*_TORTURE, "eu_sgbv"),
    "forced_abortion": (*_TORTURE, "eu_sgbv"),
    "infanticide": ("eu_killings", "uk_life", "us_serious_abuse", "us_life"),
    "food_deprivation": _TORTURE,
    "inhumane_conditions": _TORTURE,
    "medical_denial": _TORTURE,
    "forced_labour": ("eu_slavery", "uk_slavery", "us_serious_abuse"),
    "unfair_trial": ("eu_detention", "us_serious_abuse", "us_detention"),
    "death_in_custody": ("eu_killings", "uk_life", "us_serious_abuse", "us_life"),
    "religious_persecution": ("eu_religion", "eu_detention", "us_serious_abuse"),
    "repatriation_persecution": ("eu_detention", "eu_torture", "uk_torture", "us_serious_abuse"),
}


def categories_for(violation: str) -> tuple[str, ...]:
    """The category codes one violation type falls under (none for an unknown type)."""
    return _BY_VIOLATION.get(violation, ())


def basis(violations: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """Regime code -> the categories the given violation types fall under, in :data:`CATEGORIES` order;
    a regime none of them falls under is left out."""
    found = {code for violation in violations for code in categories_for(violation)}
    result: dict[str, tuple[str, ...]] = {}
    for regime in REGIMES:
        codes = tuple(code for code in CATEGORIES if code in found and code.startswith(f"{regime}_"))
        if codes:
            result[regime] = codes
    return result
