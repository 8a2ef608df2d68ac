"""Typed shape of the knowledge base files under ``knowledge/``."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

ENTRY_ID_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
# The bot's command menu, in order; their descriptions live in messages.yaml.
COMMAND_NAMES = ("start", "topics", "help", "about", "privacy")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


def _no_blank_items(values: list[str]) -> list[str]:
    for value in values:
        if not value.strip():
            raise ValueError("contains an empty item")
    return values


class Section(_Strict):
    heading: str = Field(min_length=1)
    label: str = Field(min_length=1, max_length=40)


class Entry(_Strict):
    id: str = Field(pattern=ENTRY_ID_PATTERN, max_length=60)
    section: str = Field(min_length=1)
    title: str = Field(min_length=1, max_length=120)
    questions: list[str] = Field(min_length=8)
    answer: str = Field(min_length=1)
    related: list[str] = Field(default_factory=list)

    _check_questions = field_validator("questions")(_no_blank_items)
    _check_related = field_validator("related")(_no_blank_items)


class PhraseRule(_Strict):
    """Fires when any ``any`` phrase occurs, or one phrase of every ``all`` group."""

    name: str = Field(min_length=1)
    all: list[list[str]] = Field(default_factory=list)
    any: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _has_patterns(self) -> PhraseRule:
        if not self.all and not self.any:
            raise ValueError("a rule needs `all` groups or `any` phrases")
        for group in self.all:
            if not group:
                raise ValueError("an `all` group is empty")
            _no_blank_items(group)
        _no_blank_items(self.any)
        return self


class RedFlagRule(PhraseRule):
    reply: Literal["urgent", "crisis"] = "urgent"


class OutOfScope(_Strict):
    """Topics the article does not cover: a question about them gets the fallback."""

    rules: list[PhraseRule] = Field(min_length=1)


class RedFlagReplies(_Strict):
    urgent: str = Field(min_length=1)
    crisis: str = Field(min_length=1)


class RedFlags(_Strict):
    replies: RedFlagReplies
    rules: list[RedFlagRule] = Field(min_length=1)
    ignore: list[str] = Field(default_factory=list)


class SmallTalkIntent(_Strict):
    name: str = Field(min_length=1)
    patterns: list[str] = Field(min_length=1)
    reply: str = Field(min_length=1)

    _check_patterns = field_validator("patterns")(_no_blank_items)


class Messages(_Strict):
    disclaimer: str = Field(min_length=1)
    welcome: str = Field(min_length=1)
    help: str = Field(min_length=1)
    fallback: str = Field(min_length=1)
    fallback_no_suggestions: str = Field(min_length=1)
    empty: str = Field(min_length=1)
    about: str = Field(min_length=1)
    source_label: str = Field(min_length=1)
    suggestions_label: str = Field(min_length=1)
    related_label: str = Field(min_length=1)
    privacy: str = Field(min_length=1)
    non_text: str = Field(min_length=1)
    error: str = Field(min_length=1)
    topics_header: str = Field(min_length=1)
    section_header: str = Field(min_length=1)
    back_button: str = Field(min_length=1, max_length=40)
    unknown_topic: str = Field(min_length=1)
    commands: dict[str, str]

    @field_validator("commands")
    @classmethod
    def _every_command_described(cls, value: dict[str, str]) -> dict[str, str]:
        missing = [name for name in COMMAND_NAMES if not value.get(name, "").strip()]
        if missing:
            raise ValueError(f"needs a description for: {', '.join(missing)}")
        too_long = [name for name, text in value.items() if len(text) > 256]
        if too_long:
            raise ValueError(f"Telegram allows 256 characters; too long: {', '.join(too_long)}")
        return value


class AbbreviationContext(_Strict):
    before: list[str] = Field(default_factory=list)
    after: list[str] = Field(default_factory=list)


class Language(_Strict):
    """Word lists that tell the matcher how patients write (not medical content)."""

    stopwords: list[str] = Field(min_length=1)
    abbreviations: dict[str, str] = Field(default_factory=dict)
    abbreviation_context: AbbreviationContext = Field(default_factory=AbbreviationContext)
    topic_words: list[str] = Field(default_factory=list)
    stem_overrides: dict[str, str] = Field(default_factory=dict)


class KnowledgeBase(_Strict):
    """Everything the bot may say, loaded and validated from YAML."""

    sections: list[Section]
    entries: list[Entry]
    synonyms: dict[str, list[str]]
    red_flags: RedFlags
    out_of_scope: OutOfScope
    smalltalk: list[SmallTalkIntent]
    messages: Messages
    language: Language

    def entry(self, entry_id: str) -> Entry | None:
        """Return the entry with this id, or None."""
        for entry in self.entries:
            if entry.id == entry_id:
                return entry
        return None

    def entries_in(self, heading: str) -> list[Entry]:
        """Return the entries citing this article section, in file order."""
        return [entry for entry in self.entries if entry.section == heading]
