from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.responder import Responder

TELEGRAM_LIMIT = 4096

patient_words = st.sampled_from(
    [
        "spasm",
        "AS",
        "heat",
        "cramp",
        "back",
        "pain",
        "what",
        "is",
        "a",
        "the",
        "?",
        "!",
        "chest",
        "suicide",
        "hi",
        "thanks",
        "\u2019",
        "spazm",
        "\U0001f600",
        "\u0000",
        "\n",
    ]
)


QUICK = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
LONG = settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def check(reply_text: str) -> None:
    assert reply_text.strip()
    assert len(reply_text) <= TELEGRAM_LIMIT


@QUICK
@given(st.text(max_size=10_000))
def test_respond_never_raises_on_any_unicode(responder: Responder, text: str) -> None:
    reply = responder.respond(text)
    check(reply.text)
    assert reply.kind in {"answer", "fallback", "urgent", "smalltalk"}


@QUICK
@given(st.lists(patient_words, max_size=60).map(" ".join))
def test_respond_handles_word_salad_from_patient_vocabulary(
    responder: Responder, text: str
) -> None:
    reply = responder.respond(text)
    check(reply.text)
    assert (reply.entry_id is not None) == (reply.kind == "answer")


@LONG
@given(st.text(min_size=1, max_size=300).map(lambda s: (s * (10_000 // len(s) + 1))[:10_000]))
def test_respond_handles_maximum_length_messages(responder: Responder, text: str) -> None:
    check(responder.respond(text).text)
