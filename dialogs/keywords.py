"""SMS and WhatsApp keywords: a word sent alone starts an action, in the language the word belongs to."""
from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from typing import Mapping, Sequence

# Actions besides the main menu's entries: stop and start messages, show the menu, choose a language.
STOP, START, MENU, LANGUAGE = "stop", "start", "menu", "language"

# action -> language -> words; the first word of each language is the one help texts mention.
DEFAULT_KEYWORDS: dict[str, dict[str, list[str]]] = {
    "report": {"fr": ["SIGNALER", "SIGNAL"], "en": ["REPORT"], "bm": ["SIGNALER"]},
    "tracing": {"fr": ["DISPARU", "PERDU"], "en": ["MISSING"], "bm": ["DISPARU"]},
    "message": {"fr": ["MESSAGE"], "en": ["MESSAGE"], "bm": ["MESSAGE"]},
    "feedback": {"fr": ["AVIS"], "en": ["FEEDBACK"], "bm": ["AVIS"]},
    "complaint": {"fr": ["PLAINTE"], "en": ["COMPLAINT", "COMPLAIN"], "bm": ["PLAINTE"]},
    "status": {"fr": ["SUIVI"], "en": ["STATUS"], "bm": ["SUIVI"]},
    "help": {"fr": ["AIDE"], "en": ["HELP", "INFO"], "bm": ["DEME"]},
    LANGUAGE: {"fr": ["LANGUE"], "en": ["LANGUAGE"], "bm": ["KAN"]},
    MENU: {"fr": ["MENU"], "en": ["MENU"], "bm": ["MENU"]},
    STOP: {"fr": ["ARRET", "STOP"], "en": ["STOP", "UNSUBSCRIBE"], "bm": ["STOP"]},
    START: {"fr": ["START", "DEMARRER"], "en": ["START"], "bm": ["START"]},
}


@dataclass(frozen=True)
class Keyword:
    """What a keyword asks for; language is None when the word is the same in several languages."""

    action: str
    language: str | None


def fold(text: str) -> str:
    """Upper case without accents, spaces or end punctuation: how keywords are compared ("Arrêt." is ARRET)."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return "".join(plain.split()).strip(".!?,;:'\"").upper()


class KeywordBook:
    """The configured keywords; match() reads a whole message."""

    def __init__(self, keywords: Mapping[str, Mapping[str, Sequence[str]]]):
        self._words: dict[str, Keyword] = {}
        self.first_words: dict[str, dict[str, str]] = {}
        for action, by_language in keywords.items():
            for language, words in by_language.items():
                if words:
                    self.first_words.setdefault(action, {})[language] = fold(words[0])
                for word in words:
                    key = fold(word)
                    known = self._words.get(key)
                    if known is None:
                        self._words[key] = Keyword(action, language)
                    elif known.action == action and known.language != language:
                        self._words[key] = Keyword(action, None)
                    elif known.action != action:
                        raise ValueError(f"keyword {word!r} is given to both {known.action} and {action}")

    def match(self, body: str) -> Keyword | None:
        """The action a message asks for when it is a keyword and nothing else."""
        return self._words.get(fold(body)) if len(body) <= 40 else None


def keyword_book(overrides_json: str = "") -> KeywordBook:
    """The default keywords with the configured ones (JSON: action -> language -> [words]) in their place."""
    merged = {action: dict(by_language) for action, by_language in DEFAULT_KEYWORDS.items()}
    if overrides_json.strip():
        overrides = json.loads(overrides_json)
        if not isinstance(overrides, dict):
            raise ValueError("SMS_KEYWORDS must be a JSON object: action -> language -> [words]")
        for action, by_language in overrides.items():
            if action not in merged:
                raise ValueError(f"SMS_KEYWORDS names an unknown action {action!r}")
            for language, words in by_language.items():
                merged[action][language] = [words] if isinstance(words, str) else list(words)
    return KeywordBook(merged)
