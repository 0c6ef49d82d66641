"""Text as the finder indexes and searches it: normalised, tokenised, stemmed, without stop words.

Both databases index the text this module produces (stems joined by spaces), and every query goes
through the same function, so SQLite FTS5 and PostgreSQL's 'simple' configuration see identical
tokens and give the same matches. Cyrillic words take the Russian Snowball stemmer, Latin ones the
English stemmer; other scripts are kept as they are. No Django imports.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

import snowballstemmer

# Letters and digits only: the same split FTS5's unicode61 tokenizer makes, so stems never contain separators.
_TOKEN = re.compile(r"[^\W_]+")
_CYRILLIC = re.compile(r"[а-я]")
_LATIN = re.compile(r"[a-z]")

_ENGLISH_STOP_WORDS = (
    "a an and are as at be but by for from has have i in into is it its of on or our that the their them "
    "they this to was we were will with you your us all any can do does not no so than then there these "
    "those what which who how also more most other some such only own same very just over under about"
)
_RUSSIAN_STOP_WORDS = (
    "и в во не что он на я с со как а то все она так его но да ты к у же вы за бы по только ее мне было "
    "вот от меня еще нет о из ему теперь когда даже ну вдруг ли если уже или ни быть был него до вас "
    "нибудь опять уж вам ведь там потом себя ничего ей может они тут где есть надо ней для мы тебя их чем "
    "была сам чтоб без будто чего раз тоже себе под будет ж тогда кто этот того потому этого какой совсем "
    "ним здесь этом один почти мой тем чтобы нее сейчас были куда зачем всех никогда можно при наконец "
    "два об другой хоть после над больше тот через эти нас про всего них какая много разве три эту моя "
    "впрочем хорошо свою этой перед иногда лучше чуть том нельзя такой им более всегда конечно всю между "
    "наш наши ваш ваши это"
)
STOP_WORDS = frozenset(_ENGLISH_STOP_WORDS.split()) | frozenset(_RUSSIAN_STOP_WORDS.split())

_russian = snowballstemmer.stemmer("russian")
_english = snowballstemmer.stemmer("english")


def normalise(text: str) -> str:
    """Case-folded, with ё spelt as the plain Cyrillic e: the spelling every comparison uses."""
    return text.casefold().replace("ё", "е")


def tokens(text: str) -> list[str]:
    """The words of the text, normalised, punctuation dropped."""
    return _TOKEN.findall(normalise(text))


@lru_cache(maxsize=100_000)
def stem(word: str) -> str:
    """The stem of one normalised word (cached: profile texts repeat a small vocabulary)."""
    if _CYRILLIC.search(word):
        return str(_russian.stemWord(word))
    if _LATIN.search(word):
        return str(_english.stemWord(word))
    return word


def stems(text: str) -> list[str]:
    """The stems of the text's words, stop words left out, in order (repeats kept: they weigh in bm25)."""
    return [stem(word) for word in tokens(text) if word not in STOP_WORDS]


def indexed(texts: Iterable[str]) -> str:
    """The stemmed text stored in the index for several texts (tags, keywords, labels...)."""
    return " ".join(s for text in texts for s in stems(text))


def query_stems(text: str, limit: int = 12) -> list[str]:
    """The distinct stems of a search query, at most `limit` (a query is a few words, not an essay)."""
    return list(dict.fromkeys(stems(text)))[:limit]
