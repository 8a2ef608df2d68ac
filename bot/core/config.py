"""Every number that tunes how the bot replies, in one frozen object."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Tuning:
    """The responder's and the matcher's tunables (chosen on the tuning sets, see README)."""

    # Below this score the bot says it does not know rather than risk a wrong answer.
    threshold: float = 0.52
    # Topics scoring below this are too far off to offer as "closest topics".
    suggestion_floor: float = 0.2
    max_suggestions: int = 3
    # Ask "did you mean" instead of answering when the runner-up is this close to the best.
    clarify_margin: float = 0.03
    # Telegram's longest message: longer text is cut at a word before it is analysed.
    max_text: int = 4096
    # A message with more content terms than this must name one of the topic words to be
    # answered; shorter ones ("does yoga help") are taken to be about our topic.
    free_terms: int = 3
    # An unknown word weighing this much (a rare word such as "dandruff") marks a short
    # message as being about something else.
    rare_word_weight: float = 1.0
    # Share of a match's score given to coverage (the rest: similarity to the closest question).
    coverage_share: float = 0.45
    # A term must appear in this many of an entry's questions to count fully for it.
    support: int = 4
    # How many entries the whole-message ranking keeps for blending with question sentences.
    whole_pool: int = 10
    # How much a question sentence counts against the whole message, in a short message
    # and in a long story (more words than ``long_message``) where the story dilutes it.
    question_weight: float = 0.4
    long_question_weight: float = 0.7
    long_message: int = 40
    # The most sentences of one message scored on their own.
    max_sentences: int = 20
    # Conversations: a message this long or shorter may be a follow-up to the last answer.
    follow_up_words: int = 20
    # A chat's context is forgotten after this many seconds of silence.
    context_ttl: float = 1800.0
    # For this many seconds after an urgent or crisis reply, every reply keeps the help line.
    careful_for: float = 1800.0
    # A follow-up with a pronoun is read with the last topic unless the message alone
    # scores this much higher for another topic ("the exercise program, who runs that?").
    pronoun_margin: float = 0.05
    # "The stretches you mentioned": the least score for one of the topics said before.
    pointer_floor: float = 0.3
    # A follow-up with no topic before it ("what about ice?", "can they make you weaker?")
    # is answered when it matches a topic this closely on its own.
    follow_up_alone: float = 0.8
