"""Typed shape of the knowledge base files under ``knowledge/``."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

ENTRY_ID_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
# The bot's command menu, in order; their descriptions live in messages.yaml.
COMMAND_NAMES = ("start", "topics", "help", "about", "privacy", "forget")


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
    # What "it" or "that" means in a follow-up to this answer ("stretching and massage").
    subject: str | None = Field(default=None, min_length=1, max_length=60)
    # The wider topic a "what else?" after this answer goes to (stretching -> easing a spasm).
    broader: str | None = None
    # The entry each "- " line of the answer stands for, in order ("the second one").
    parts: list[str] = Field(default_factory=list)

    _check_questions = field_validator("questions")(_no_blank_items)
    _check_related = field_validator("related")(_no_blank_items)


class PhraseRule(_Strict):
    """Fires when any ``any`` phrase occurs, or one phrase of every ``all`` group."""

    name: str = Field(min_length=1)
    all: list[list[str]] = Field(default_factory=list)
    any: list[str] = Field(default_factory=list)
    # For `all`: how many words apart the groups' phrases may be (None: the rule set's default).
    within: int | None = Field(default=None, ge=1, le=400)
    # For `all`: the groups' phrases must also share one sentence.
    sentence: bool = False
    # Phrases that cancel the rule where they occur next to it ("soaked" but "in sweat").
    unless: list[str] = Field(default_factory=list)

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


ContextKind = Literal["negated", "hypothetical", "historical", "habitual", "figurative"]
CONTEXT_KINDS: tuple[ContextKind, ...] = (
    "negated",
    "hypothetical",
    "historical",
    "habitual",
    "figurative",
)
DEFAULT_CONTEXT: tuple[ContextKind, ...] = tuple(k for k in CONTEXT_KINDS if k != "habitual")
CATEGORY_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"


class RedFlagRule(PhraseRule):
    """An emergency rule: its category (for safety-net lines and recall) and reply."""

    category: str = Field(pattern=CATEGORY_PATTERN)
    reply: Literal["urgent", "crisis"] = "urgent"
    # Which kinds of context may turn this rule's alarm into an answer plus a safety-net line.
    # A habit ("every time I sit") calms only the rules that list it.
    context: list[ContextKind] = Field(default_factory=lambda: list(DEFAULT_CONTEXT))


class ScopeReason(_Strict):
    """Why a question is not covered, and the honest reply to it."""

    reply: str = Field(min_length=1)
    # Topics to offer with the reply ("dose" offers the medicines topic).
    topics: list[str] = Field(default_factory=list)
    # Refuse when the rule fires anywhere in a long message (a pet), not only in the
    # sentence that asks (the MRI in "...she did an MRI. What is AS?" is just the story).
    anywhere: bool = False


class ScopeRule(PhraseRule):
    """A topic the article does not cover, with the reason that picks the reply."""

    reason: str = "not-covered"
    # Read the whole message, not only the sentence that asks (None: as the reason says).
    anywhere: bool | None = None


class OutOfScope(_Strict):
    """Topics the article does not cover: a question about them gets the fallback."""

    reasons: dict[str, ScopeReason] = Field(default_factory=dict)
    rules: list[ScopeRule] = Field(min_length=1)
    lists: dict[str, list[str]] = Field(default_factory=dict)


class RedFlagReplies(_Strict):
    urgent: str = Field(min_length=1)
    crisis: str = Field(min_length=1)


class CueSet(_Strict):
    """Words that put an alarm symptom in context, and how far they reach."""

    before: list[str] = Field(default_factory=list)
    after: list[str] = Field(default_factory=list)
    scope: int = Field(default=6, ge=1, le=40)
    stop: list[str] = Field(default_factory=list)
    commas_end_scope: bool = True
    # A cue followed straight away by one of these words is not a cue: "is THIS a heart
    # attack?" reports one, "is a spasm a sign of..." asks about it.
    not_followed_by: list[str] = Field(default_factory=list)


class RedFlagContext(_Strict):
    """ConText cues: negated, hypothetical, historical and figurative mentions."""

    negated: list[CueSet] = Field(default_factory=list)
    hypothetical: list[CueSet] = Field(default_factory=list)
    historical: list[CueSet] = Field(default_factory=list)
    habitual: list[CueSet] = Field(default_factory=list)
    figurative: list[CueSet] = Field(default_factory=list)
    stop: list[str] = Field(default_factory=list)
    pseudo: list[str] = Field(default_factory=list)

    def cues(self) -> list[tuple[ContextKind, CueSet]]:
        """Return every cue set with its kind."""
        return [(kind, cues) for kind in CONTEXT_KINDS for cues in getattr(self, kind)]


class RedFlags(_Strict):
    replies: RedFlagReplies
    safety_net: dict[str, str] = Field(min_length=1)
    lists: dict[str, list[str]] = Field(default_factory=dict)
    rules: list[RedFlagRule] = Field(min_length=1)
    ignore: list[str] = Field(default_factory=list)
    # How many words apart the phrases of an `all` rule may be, unless the rule says `within`.
    window: int = Field(default=30, ge=1, le=400)
    context: RedFlagContext = Field(default_factory=RedFlagContext)


class Emergency(_Strict):
    """A curated emergency message that must always get the urgent or crisis reply."""

    text: str = Field(min_length=1)
    category: str = Field(pattern=CATEGORY_PATTERN)
    style: str = "direct"


class NearMiss(_Strict):
    """A curated ordinary message that must never get the urgent reply."""

    text: str = Field(min_length=1)
    kind: str = "everyday"


class RedFlagExamples(_Strict):
    """Messages the red-flag rules are checked against (red_flag_examples.yaml)."""

    emergencies: list[Emergency] = Field(default_factory=list)
    near_misses: list[NearMiss] = Field(default_factory=list)


class SmallTalkIntent(_Strict):
    name: str = Field(min_length=1)
    patterns: list[str] = Field(min_length=1)
    reply: str = Field(min_length=1)
    # True: the whole message must be small talk ("hi", "thanks!"). False: a pattern
    # anywhere is enough, as long as the message asks nothing ("just diagnosed and scared").
    alone: bool = True
    # Offer the topic menu under the reply.
    show_topics: bool = False
    # Also enough at the start or end of a message that asks nothing and names no topic:
    # "thanks, I'll ring my GP tomorrow".
    closes: bool = False
    # With `closes`: words that report something worked, so a thanks naming a topic is
    # still thanks ("the heat thing worked, thank you!") when it asks nothing.
    reports: list[str] = Field(default_factory=list)

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
    # "Did you mean...": a message that fits two topics about equally well.
    clarify: str = Field(min_length=1)
    clarify_label: str = Field(min_length=1)
    # A question in a language the bot does not read yet.
    other_language: str = Field(min_length=1)
    related_label: str = Field(min_length=1)
    privacy: str = Field(min_length=1)
    non_text: str = Field(min_length=1)
    error: str = Field(min_length=1)
    topics_header: str = Field(min_length=1)
    section_header: str = Field(min_length=1)
    back_button: str = Field(min_length=1, max_length=40)
    unknown_topic: str = Field(min_length=1)
    # What Telegram shows in an empty chat, before the first message.
    description: str = Field(min_length=1, max_length=512)
    short_description: str = Field(min_length=1, max_length=120)
    # Inline mode: the card shown for an emergency, and the button when nothing fits.
    inline_urgent_title: str = Field(min_length=1, max_length=60)
    inline_crisis_title: str = Field(min_length=1, max_length=60)
    inline_no_results: str = Field(min_length=1, max_length=60)
    # Follow-ups: the last answer asked for again, and a follow-up the bot cannot place.
    again: str = Field(min_length=1)
    follow_up_unclear: str = Field(min_length=1)
    # After an urgent or crisis reply: the line every reply keeps for a while, and what
    # replaces cheerful small talk ("glad it helped") in that time.
    careful_urgent: str = Field(min_length=1)
    careful_crisis: str = Field(min_length=1)
    careful_small_talk: str = Field(min_length=1)
    privacy_text_stored: str = Field(min_length=1)
    privacy_text_not_stored: str = Field(min_length=1)
    forget_done: str = Field(min_length=1)
    # Feedback buttons (Telegram cuts long labels) and the short note a press shows.
    feedback_helpful: str = Field(min_length=1, max_length=30)
    feedback_not_helpful: str = Field(min_length=1, max_length=30)
    feedback_thanks: str = Field(min_length=1, max_length=200)
    feedback_gone: str = Field(min_length=1, max_length=200)
    reload_done: str = Field(min_length=1)
    reload_failed: str = Field(min_length=1)
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


class LanguageProfile(_Strict):
    """The language the knowledge base is written in, and how to read it."""

    code: str = "en"
    # A Snowball stemmer name ("english", "french", "german"...).
    stemmer: str = "english"
    # Words that open a question ("what", "how", "can"...): such a sentence is a question
    # even without a question mark.
    question_openers: list[str] = Field(default_factory=list)
    # Question words proper ("what", "how"): a message opening with one outside a small-talk
    # phrase is a question ("what about at night?" is not "night!").
    question_words: list[str] = Field(default_factory=list)
    # Punctuation spoken into a phone's dictation ("full stop", "question mark") -> the mark.
    dictation: dict[str, str] = Field(default_factory=dict)


class FollowUpCues(_Strict):
    """Words that show a short message goes on from the last answer instead of starting anew."""

    # Asking for the last answer again or in other words: "tell me more", "explain that simpler".
    again: list[str] = Field(default_factory=list)
    # Asking for the wider topic: "what else", "anything else", "instead".
    other: list[str] = Field(default_factory=list)
    # Openings and endings of an elliptic question: "and ...", "what about ...", "... too?".
    openers: list[str] = Field(default_factory=list)
    endings: list[str] = Field(default_factory=list)
    # Words that point back at the last topic: "it", "that", "them".
    pronouns: list[str] = Field(default_factory=list)
    # Words that may come before a cue without changing it: "ok", "so", "please".
    fillers: list[str] = Field(default_factory=list)
    # Pointing at one line of a listed answer: "the second one", "the last step".
    ordinals: list[list[str]] = Field(default_factory=list)
    last: list[str] = Field(default_factory=list)
    items: list[str] = Field(default_factory=list)
    # Pointing at something named in an earlier answer: "the stretches you mentioned".
    pointers: list[str] = Field(default_factory=list)
    # Openings that rule out what they name: "no heat pad here, anything else?".
    without: list[str] = Field(default_factory=list)


class Language(_Strict):
    """Word lists that tell the matcher how patients write (not medical content)."""

    profile: LanguageProfile = Field(default_factory=LanguageProfile)
    # Everyday words of other languages, to tell a question in Spanish from one in English.
    other_languages: dict[str, list[str]] = Field(default_factory=dict)
    stopwords: list[str] = Field(min_length=1)
    # Text-speak read as the words it stands for ("u" -> "you", "rn" -> "right now").
    textspeak: dict[str, str] = Field(default_factory=dict)
    abbreviations: dict[str, str] = Field(default_factory=dict)
    abbreviation_context: AbbreviationContext = Field(default_factory=AbbreviationContext)
    topic_words: list[str] = Field(default_factory=list)
    stem_overrides: dict[str, str] = Field(default_factory=dict)
    follow_up: FollowUpCues = Field(default_factory=lambda: FollowUpCues())


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
    red_flag_examples: RedFlagExamples = Field(default_factory=RedFlagExamples)

    def entry(self, entry_id: str) -> Entry | None:
        """Return the entry with this id, or None."""
        for entry in self.entries:
            if entry.id == entry_id:
                return entry
        return None

    def entries_in(self, heading: str) -> list[Entry]:
        """Return the entries citing this article section, in file order."""
        return [entry for entry in self.entries if entry.section == heading]
