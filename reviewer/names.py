"""Spelling-insensitive keys for Korean names of persons and places (issue 5, "Finding and merging").

The same official may be written 리창대, 이창대, Ri Chang Dae, Lee Chang-dae, Yi Ch'ang-dae or RICHANGDAE,
and the same camp 요덕, Yodok or Yodeok. This module turns any such spelling into a small set of coarse,
normalised *search keys*; two spellings are taken for the same name when their key sets intersect. It is pure
Python with no database and no Flask: the records feature indexes each name under its keys and looks a query
up under the query's keys.

API
===

- :func:`search_keys` ``(name) -> frozenset[str]``: the keys under which a name is indexed and looked up
  (empty for a name with no letters or digits).
- :func:`same_name` ``(a, b) -> bool``: whether two spellings share a key.
- :func:`normalise` ``(text) -> str``: the surface form the keys are built from: Unicode NFC, case folded,
  Latin diacritics (the breves of ŏ ŭ) and apostrophes (Ch'ang) dropped, every run of spaces, hyphens and
  punctuation made one space. Hangul is kept as it is.

>>> same_name("리창대", "Lee Chang-dae") and same_name("Yi Ch'ang-dae", "RICHANGDAE")
True
>>> same_name("Kim Jong Un", "김정일")
False
>>> sorted(search_keys("Hoeryŏng"))
['hweyong']
>>> normalise("  Ch'ŏngjin--SI ")
'chongjin si'

How a key is made
=================

Every spelling is read as a string of coarse phonetic *tokens*, and the key is the tokens joined.

1. **Hangul** syllables are decomposed by Unicode arithmetic (initial, medial, final jamo) and each syllable
   is spelled in Revised Romanization letters (finals by their sound: ㅅ ㅈ ㅊ ㅌ ㅎ as t), then read like any
   romanization. Syllables are read one at a time, since their boundaries are known.
2. **Romanized** words (split at spaces, hyphens and punctuation) are read greedily, longest spelling first,
   into tokens. Consonants lose the distinctions romanizations disagree on: g k kk kh → g, d t tt → d,
   b p pp → b, j ch tch jj → j, s ss → s, r l → r. Vowels: eo ŏ o → o, eu ŭ u oo → u, ae e → e,
   yeo yŏ yo → yo, yae ye → ye, oe we wae → we, weo wo → wo, ui eui ŭi ee yi i → i, woo wu → u.
3. **h** marks aspiration in DPRK and McCune–Reischauer spelling (Thae, Phyongyang, Kh, Ch'ang) and is silent
   in some surname spellings (Ahn, Oh, Noh): it is dropped after g d b j s (but kept after ng, so
   정희 is not 정이) and wherever no vowel follows. A word beginning "rh" (Rhee, Rhyu) is read as "r".
4. Doubled consonants are made one (Kukka = Gukga, Jeolla = 전라 read as "jeonra").
5. **Initial-sound rule, both ways.** North Korean spelling keeps an initial ㄹ (리 로 류 량) where South
   Korean spelling drops it or makes it ㄴ (이 노 유 양). The key applies the South Korean rule to *every*
   ㄹ before a vowel, wherever it stands, because a given name inside an unspaced name (김련희 / 김연희) is
   not a word start one can see: r before i or y is dropped, r before another vowel becomes n. An initial
   ㄴ before i or y (녀 → 여, 니 → 이) is dropped only at the start of the whole name: elsewhere an n before
   y is usually a final ㄴ (순영 must stay apart from 수영).
6. **Alternative readings** become extra keys (at most :data:`MAX_KEYS`): a table of irregular surname
   spellings read as whole words (Park → pak, Choi → choe, Hur/Huh → heo, Suh → seo, Chun → chun or cheon,
   Hyun, Byun, Whang, Youn, Yuh), and ㅓ/ㅕ written "u"/"yu" before ng in South Korean personal spelling
   (Jung, Chung, Sung, Kyung, Byung) also read as o/yo, so that Kim Il Sung meets 김일성; and "ll", which
   is ㄹㄹ (Chollyong 철령) or ㄴㄹ spelled as pronounced (Kwalliso 관리소), read both ways.

Case, spaces and hyphens between syllables do not change the key, except that the surname table only
knows whole words and a space or hyphen settles an ambiguous spelling (Ga-eul 가을 versus Gae-ul 개울).
Word order does change it (see below).

Limits, on purpose
==================

Romanization is ambiguous, and this key is coarse so that it errs towards finding too much: the search that
uses it ranks and filters, and fuzzy matching (typos, missing syllables) is the search's job, not this
module's. Known consequences:

- Collisions are expected: 정/중 when spelled Jung, 나/라, 노/로, 이/리, 회령/회녕, 전거/정어, and any two
  names whose romanizations fall on the same tokens. A shared key means "worth showing", not "the same".
- Pronunciation-based spellings are only partly understood: ㄴㄹ and ㄹㄹ (Silla, Jeolla, Kwalliso) and
  ㅇㄹ (Jongno) meet their Hangul, and tensing (Kukka for 국가) is absorbed by the consonant merges, but
  other assimilations (백마 Baengma, 십리 Simni, 독립 Tongnip) do not meet theirs.
- An unspaced romanization whose vowel letters run across a syllable boundary is read greedily
  (gaeul → 개울, not 가을); hyphens or spaces settle it, as Revised Romanization itself advises.
- Irregular surname spellings are recognised as whole words only ("Park Chang-dae", not "Parkchangdae").
- 녀/여 inside a name (김녀순 / 김여순) are not merged (rule 5).
- Word order is part of the key: "Chang-dae Lee" and "Lee Chang-dae" do not meet; index surname and
  given name separately if that matters.
- Hanja, Cyrillic and other scripts pass through letter by letter: they match only themselves.

Speed: a name's keys cost about ten microseconds, and words that repeat across names are cached, so
50,000 names take about half a second on a laptop, e.g.::

    >>> import timeit                                                               # doctest: +SKIP
    >>> names = [f"Kim Chol {n}" for n in range(50_000)]                            # doctest: +SKIP
    >>> timeit.timeit(lambda: [search_keys(n) for n in names], number=1)            # doctest: +SKIP
    0.5
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from itertools import islice, product

__all__ = ["MAX_KEYS", "normalise", "same_name", "search_keys"]

#: The most keys one name gets, so that a name full of ambiguous spellings cannot flood the index.
MAX_KEYS = 16

# --- Hangul ---------------------------------------------------------------------------------------------

_HANGUL_FIRST, _HANGUL_LAST = 0xAC00, 0xD7A3
# Revised Romanization letters of the 19 initials, 21 medials and 28 finals, in Unicode order. Finals are
# spelled by their sound at the end of a syllable, as every romanization does (옷 ot, 부엌 bueok).
_INITIALS = (
    "g", "kk", "n", "d", "tt", "r", "m", "b", "pp", "s", "ss", "", "j", "jj", "ch", "k", "t", "p", "h",
)  # fmt: skip
_MEDIALS = (
    "a", "ae", "ya", "yae", "eo", "e", "yeo", "ye", "o", "wa", "wae",
    "oe", "yo", "u", "wo", "we", "wi", "yu", "eu", "ui", "i",
)  # fmt: skip
_FINALS = (
    "", "k", "k", "k", "n", "n", "n", "t", "l", "k", "m", "l", "l", "l",
    "p", "l", "m", "p", "p", "t", "t", "ng", "t", "t", "k", "t", "p", "t",
)  # fmt: skip

# --- Romanized spelling ---------------------------------------------------------------------------------

# Every spelling the reader knows, and the token it stands for. The reader takes the longest that fits, so
# "yeo" is read before "ye", "tch" before "ch". "ng" is deliberately two tokens (n, g): then 전거리 and
# Chongori agree whether the g belongs to the first syllable or the second.
_SPELLINGS: dict[str, str] = {
    # vowels
    "yeo": "yo", "yae": "ye", "yoo": "yu", "you": "yo", "wae": "we", "weo": "wo", "woo": "u", "eui": "i",
    "eo": "o", "eu": "u", "ae": "e", "oe": "we", "ui": "i", "ee": "i", "oo": "u", "ou": "o",
    "ya": "ya", "ye": "ye", "yo": "yo", "yu": "yu", "yi": "i",
    "wa": "wa", "we": "we", "wo": "wo", "wi": "wi", "wu": "u",
    "a": "a", "e": "e", "i": "i", "o": "o", "u": "u", "y": "y", "w": "w",
    # consonants
    # kh is one sound (the DPRK and MR aspirate ㅋ), so that Kyonkha 견카 is not read as ng + h (rule 3)
    "tch": "j", "ch": "j", "jj": "j", "kk": "g", "kh": "g", "tt": "d", "pp": "b", "ss": "s",
    "g": "g", "k": "g", "d": "d", "t": "d", "b": "b", "p": "b", "j": "j", "s": "s",
    "h": "h", "m": "m", "n": "n", "r": "r", "l": "r",
}  # fmt: skip
_READER = re.compile("|".join(re.escape(s) for s in sorted(_SPELLINGS, key=len, reverse=True)) + r"|\d+|.")
_VOWELS = frozenset({"a", "e", "i", "o", "u", "ya", "ye", "yo", "yu", "wa", "we", "wo", "wi", "y", "w"})
# Vowels before which the initial-sound rule drops ㄹ and ㄴ altogether (리 → 이, 녀 → 여).
_I_OR_Y = frozenset({"i", "ya", "ye", "yo", "yu", "y"})
# After these, an h is the aspiration mark of kh, th, ph, ch', sh (or a final consonant's h that the
# romanizations disagree on): Thae = Tae, Phyongyang = Pyongyang, 박형 = Pak Hyong.
_ASPIRABLE = frozenset({"g", "d", "b", "j", "s"})

# Irregular spellings of surnames (and a few given-name syllables) that the rules above would misread, read
# as whole words only. Where the spelling is also a regular reading of another syllable, it is kept.
_IRREGULAR: dict[str, tuple[str, ...]] = {
    "park": ("pak",),
    "choi": ("choe",),
    "hur": ("heo",),
    "huh": ("heo",),
    "suh": ("seo",),
    "yuh": ("yeo",),
    "youn": ("yun",),
    "whang": ("hwang",),
    "chun": ("chun", "cheon"),  # 천, 전 (Chun Doo-hwan), and 춘
    "hyun": ("hyun", "hyeon"),  # 현, and 휸
    "byun": ("byun", "byeon"),  # 변
}

_APOSTROPHES = str.maketrans("", "", "'’‘ʼʻ`´")
_WORDS = re.compile(r"[^\W_]+")
# Runs inside one word: Hangul syllables, or anything else (Latin letters, digits, other scripts).
_HANGUL_RANGE = f"{chr(_HANGUL_FIRST)}-{chr(_HANGUL_LAST)}"
_RUNS = re.compile(f"[{_HANGUL_RANGE}]+|[^{_HANGUL_RANGE}]+")


def normalise(text: str) -> str:
    """The surface form keys are built from: NFC, case folded, no Latin diacritics or apostrophes, words
    separated by single spaces.

    >>> normalise("Yi  Ch’ang-dae")
    'yi chang dae'
    >>> normalise("리 창대")
    '리 창대'
    """
    # NFC first, so that Hangul typed as conjoining jamo becomes syllables the arithmetic below knows.
    text = unicodedata.normalize("NFC", text).translate(_APOSTROPHES)
    if not text.isascii():
        text = "".join(map(_fold_char, text))
    return " ".join(_WORDS.findall(text.casefold()))


@lru_cache(maxsize=4096)
def _fold_char(char: str) -> str:
    """A character without its diacritics (ŏ → o, Ｋ → K); Hangul syllables are left whole, since NFKD would
    take them apart into jamo."""
    if _HANGUL_FIRST <= ord(char) <= _HANGUL_LAST:
        return char
    return "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))


def search_keys(name: str) -> frozenset[str]:
    """The keys under which a person's or place's name is indexed and looked up.

    Two spellings of the same name share at least one key; see the module docstring for the rules and
    their limits. A name with no letters or digits has no keys.

    >>> search_keys("Ri Chang Dae") == search_keys("이창대") == {"ijangde"}
    True
    >>> sorted(search_keys("Kim Il Sung"))
    ['gimirsong', 'gimirsung']
    """
    words = normalise(name).split()
    if not words:
        return frozenset()
    readings = (_word_readings(word) for word in words)
    keys = (_key(tuple(t for part in combination for t in part)) for combination in product(*readings))
    return frozenset(key for key in islice(keys, MAX_KEYS) if key)


def same_name(a: str, b: str) -> bool:
    """Whether two spellings may be the same name: their keys intersect.

    >>> same_name("류", "Yoo") and same_name("로", "Noh") and not same_name("박", "백")
    True
    """
    return not search_keys(a).isdisjoint(search_keys(b))


@lru_cache(maxsize=1 << 16)
def _word_readings(word: str) -> tuple[tuple[str, ...], ...]:
    """The token sequences one normalised word may stand for (usually one). Cached: names share words."""
    if word in _IRREGULAR:
        return tuple(_read(spelling) for spelling in _IRREGULAR[word])
    if word.startswith("rh"):  # Rhee, Rhyu, Rhim: the h only says "this r is a Korean ㄹ"
        word = "r" + word[2:]
    tokens = tuple(t for run in _RUNS.findall(word) for t in _read_run(run))
    if not word.isascii():
        return (tokens,)  # Hangul is unambiguous: 중 stays 중
    # Romanized spellings that stand for two things get both readings (the literal one first), at no more
    # than three places in a word:
    # - ㅓ and ㅕ are written u and yu before ng in much South Korean personal spelling (Jung 정, Sung 성,
    #   Kyung 경, Byung 병): also read o and yo;
    # - "ll" is ㄹㄹ (Chollyong 철령) or, spelled as pronounced, ㄴㄹ (Kwalliso 관리소): also read n r.
    alternatives: dict[int, str] = {}
    for i in range(len(tokens) - 1):
        if len(alternatives) == 3:
            break
        if tokens[i] in ("u", "yu") and tokens[i + 1 : i + 3] == ("n", "g"):
            alternatives[i] = "o" if tokens[i] == "u" else "yo"
        elif tokens[i] == tokens[i + 1] == "r":
            alternatives[i] = "n"
    if not alternatives:
        return (tokens,)
    choices = ((t, alternatives[i]) if i in alternatives else (t,) for i, t in enumerate(tokens))
    return tuple(product(*choices))


def _read_run(run: str) -> tuple[str, ...]:
    if _HANGUL_FIRST <= ord(run[0]) <= _HANGUL_LAST:
        return tuple(t for syllable in run for t in _syllable_tokens(syllable))
    return _read(run)


@lru_cache(maxsize=None)
def _syllable_tokens(syllable: str) -> tuple[str, ...]:
    """One Hangul syllable's tokens, read from its Revised Romanization letters by the same reader as any
    romanized word, so that both scripts land on the same tokens."""
    code = ord(syllable) - _HANGUL_FIRST
    initial, rest = divmod(code, 21 * 28)
    medial, final = divmod(rest, 28)
    return _read(_INITIALS[initial] + _MEDIALS[medial] + _FINALS[final])


def _read(spelling: str) -> tuple[str, ...]:
    """Greedy, longest-spelling-first reading of romanized letters; other characters stand for themselves."""
    return tuple(_SPELLINGS.get(s, s) for s in _READER.findall(spelling))


def _key(tokens: tuple[str, ...]) -> str:
    """Apply the h, doubling and initial-sound rules to one token sequence and join it into a key."""
    # Pass 1: the h rule and doubled consonants.
    kept: list[str] = []
    for i, token in enumerate(tokens):
        if token == "h":
            following = tokens[i + 1] if i + 1 < len(tokens) else None
            if following not in _VOWELS:
                continue  # Ahn, Oh, Noh: silent
            after_ng = len(kept) > 1 and kept[-2:] == ["n", "g"]
            if kept and kept[-1] in _ASPIRABLE and not after_ng:
                continue  # Thae, Phyong, Ch'ang, Shin; but ng + h (정희) keeps its h
        if kept and token == kept[-1] and token not in _VOWELS:
            continue
        kept.append(token)
    # Pass 2: the initial-sound rule (module docstring), then doubles it makes (신라 → sinna → sina).
    out: list[str] = []
    for i, token in enumerate(kept):
        following = kept[i + 1] if i + 1 < len(kept) else None
        if token == "r" and following in _VOWELS:
            if following in _I_OR_Y:
                continue
            token = "n"
        elif token == "n" and not out and following in _I_OR_Y:
            continue
        if out and token == out[-1] and token not in _VOWELS:
            continue
        out.append(token)
    return "".join(out)
