from __future__ import annotations

import pytest

from bot.core.responder import Responder


@pytest.mark.parametrize(
    ("message", "entry_id"),
    [
        ("What is ankylosing spondylitis?", "what-is-ankylosing-spondylitis"),
        ("what is AS", "what-is-ankylosing-spondylitis"),
        ("ankylosing spondilytis??", "what-is-ankylosing-spondylitis"),
        ("spasm meaning", "what-is-a-muscle-spasm"),
        ("wat is a spazm", "what-is-a-muscle-spasm"),
        ("do people with AS get spasms in the lower back", "spasms-in-as"),
        ("how do I get rid of a charley horse", "relieving-spasms"),
        ("should I put an ice pack or a hot water bottle on it", "heat-and-cold"),
        ("WOULD A WARM BATH HELP MY BACK SPASMS", "heat-and-cold"),
        ("can I take ibuprofen for cramps at night", "medication"),
        ("does yoga help", "relaxation-techniques"),
        ("does drinking more water help me avoid cramps", "hydration"),
        ("pelvic tilts", "pelvic-tilts-and-resistance-bands"),
        ("I do everything right and still get spasms, what now?", "when-to-see-a-doctor"),
    ],
)
def test_patient_phrasings_find_their_entry(
    responder: Responder, message: str, entry_id: str
) -> None:
    reply = responder.respond(message)
    assert (reply.kind, reply.entry_id) == ("answer", entry_id)


@pytest.mark.parametrize(
    ("message", "entry_id"),
    [
        ("omg my back just locked up, its 3am, what do i do", "relieving-spasms"),
        ("woke up with a back spasm, what now", "relieving-spasms"),
        ("any tips? my back is in knots", "relieving-spasms"),
        ("anything I can do right now for a spasm", "relieving-spasms"),
        ("spasms at night, what helps", "relieving-spasms"),
        ("charley horse in my calf every night, how do i stop it coming back", "preventing-spasms"),
        ("should i go to A&E for a back spasm", "when-to-see-a-doctor"),
        ("my back seized up again, what do i do", "relieving-spasms"),
        # Said to a phone's dictation, punctuation and all.
        (
            "hello this is Margaret full stop my back has gone into a spasm again full stop "
            "what do I do question mark",
            "relieving-spasms",
        ),
        # An emoji ends a sentence: the question after it is read as the question.
        ("so tired of being woken by cramps 😭 would meds help or not", "medication"),
        ("why does espondilitis anquilosante make my mussels sore", "as-and-muscle-pain"),
        # "What exactly is X" asks for a definition, whatever else the message says.
        ("whats a charley horse exactly, my mate says he gets them", "what-is-a-muscle-spasm"),
        # Wanting them to stop coming is prevention, not easing one now.
        ("what exercise should i do so the spasm not come back again", "exercise-program"),
        ("how do i stop my back going into knots every other day", "preventing-spasms"),
        ("anything i can pop for these night cramps", "medication"),
    ],
)
def test_how_patients_ask_for_help_finds_the_right_topic(
    responder: Responder, message: str, entry_id: str
) -> None:
    reply = responder.respond(message)
    assert (reply.kind, reply.entry_id) == ("answer", entry_id)


@pytest.mark.parametrize(
    ("message", "reason", "topics"),
    [
        (
            "how much water should I drink to avoid cramps",
            "amount",
            ("hydration", "exercise-program"),
        ),
        ("how many mg of naproxen can I take", "dose", ("medication",)),
        ("can I take an extra muscle relaxer tonight", "dose", ("medication",)),
        ("my dog keeps having spasms in his back legs", "pet", ()),
        ("find me a chiropractor in Leeds", "provider", ()),
        ("physio phone number", "provider", ()),
        ("does stiff person syndrome cause spasms", "other-disease", ()),
        ("I keep getting headaches, why", "other-condition", ()),
        ("who won the football last night", "chit-chat", ()),
        ("painful periods again, could it be endo?", "other-condition", ()),
        ("does endometriosis cause back spasms", "other-disease", ()),
    ],
)
def test_each_kind_of_unanswerable_question_gets_its_own_honest_reply(
    responder: Responder, message: str, reason: str, topics: tuple[str, ...]
) -> None:
    reply = responder.respond(message)
    assert (reply.kind, reply.reason) == ("fallback", reason)
    assert reply.suggestions == topics
    assert reply.body == responder.kb.out_of_scope.reasons[reason].reply.strip()
    assert not any(ch.isdigit() for ch in reply.text), "never a number"


@pytest.mark.parametrize(
    "message",
    [
        "¿Qué es la espondilitis anquilosante? Tengo dolor de espalda",
        "Was hilft gegen Rückenkrämpfe?",
    ],
)
def test_a_question_in_another_language_says_so_and_offers_the_topics(
    responder: Responder, message: str
) -> None:
    reply = responder.respond(message)
    assert (reply.kind, reply.reason) == ("fallback", "other-language")
    assert reply.show_topics


@pytest.mark.parametrize(
    ("message", "intent"),
    [
        ("hola", "greeting"),
        ("bonjour !", "greeting"),
        ("thanks, this helps", "thanks"),
        ("just diagnosed and kind of scared", "feelings"),
        ("so fed up with this pain", "feelings"),
        ("finally a good day, barely any pain", "good_news"),
    ],
)
def test_small_talk_and_feelings_get_a_warm_reply(
    responder: Responder, message: str, intent: str
) -> None:
    reply = responder.respond(message)
    assert (reply.kind, reply.rule) == ("smalltalk", intent)


def test_answer_cites_section_and_ends_with_disclaimer(responder: Responder) -> None:
    reply = responder.respond("does stretching help a spasm")
    entry = responder.entry("stretching-and-massage")
    assert entry is not None
    assert reply.entry_id == entry.id
    assert entry.section in reply.text
    assert reply.text.endswith(responder.kb.messages.disclaimer.strip())
    assert [o.entry_id for o in reply.options] == entry.related


@pytest.mark.parametrize(
    "message",
    [
        "is ankylosing spondylitis genetic",
        "how is AS diagnosed",
        "what should I eat to avoid spasms",
        "is humira good for AS",
        "how many mg of ibuprofen can I take for a spasm",
        "what is a heart spasm",
        "why does my stomach spasm after eating",
        "can AS be cured",
        "what is lupus",
        "what's the weather like tomorrow",
        "My brother has AS. What are the chances I've got it as well?",
        "what's the difference between a chiropractor and an osteopath",
        "Is ankylosing spondylitis an autoimmune disease?",
        "pls just tell me where to find a chiropractor who actually understands AS",
    ],
)
def test_questions_the_article_does_not_cover_get_the_fallback(
    responder: Responder, message: str
) -> None:
    reply = responder.respond(message)
    assert reply.kind == "fallback", reply
    assert reply.entry_id is None
    assert len(reply.options) <= 3
    assert responder.kb.messages.disclaimer.strip() in reply.text


def test_fallback_offers_the_closest_topics(responder: Responder) -> None:
    reply = responder.respond("is it ok to take muscle relaxants with biologics")
    assert reply.kind == "fallback"
    assert "medication" in reply.suggestions


@pytest.mark.parametrize("message", ["", "   ", "???", "\U0001f600\U0001f600", "\n\t"])
def test_empty_or_unreadable_input_asks_for_words(responder: Responder, message: str) -> None:
    reply = responder.respond(message)
    assert reply.kind == "fallback"
    assert reply.body == responder.kb.messages.empty.strip()


@pytest.mark.parametrize(
    ("message", "intent"),
    [
        ("hi", "greeting"),
        ("Hello there!", "greeting"),
        ("thanks so much", "thanks"),
        ("bye", "goodbye"),
        ("who are you?", "who"),
        ("what can you do", "capabilities"),
    ],
)
def test_small_talk(responder: Responder, message: str, intent: str) -> None:
    reply = responder.respond(message)
    assert reply.kind == "smalltalk"
    assert reply.rule is not None
    assert reply.rule.startswith(intent)


def test_a_feeling_with_a_question_about_a_topic_answers_the_question(
    responder: Responder,
) -> None:
    reply = responder.respond("im newly diagnosed, what actually is AS")
    assert (reply.kind, reply.entry_id) == ("answer", "what-is-ankylosing-spondylitis")
    # An everyday word is not a typo of a feeling: "tried" is not "cried".
    assert responder.respond("tried all that. nothing works").kind != "smalltalk"


def test_an_acknowledgement_before_a_question_is_not_small_talk(responder: Responder) -> None:
    reply = responder.respond("ok, what can I do when it next happens?")
    assert reply.kind != "smalltalk"
    assert responder.respond("What kind of questions can I ask you?").kind == "smalltalk"


def test_thanks_for_something_that_worked_is_thanks(responder: Responder) -> None:
    assert responder.respond("ok the heat thing worked, thank u!!").kind == "smalltalk"
    # A thanks that goes on about a topic still gets the topic.
    reply = responder.respond("thanks, my calves still cramp at night, what else can I do?")
    assert reply.kind == "answer"


def test_greeting_with_a_question_answers_the_question(responder: Responder) -> None:
    reply = responder.respond("hi! what is a muscle spasm?")
    assert reply.entry_id == "what-is-a-muscle-spasm"


def test_every_entry_is_reachable_by_its_title(responder: Responder) -> None:
    for entry in responder.kb.entries:
        reply = responder.respond(entry.title)
        assert reply.entry_id == entry.id, entry.title


def test_entry_reply_for_buttons_and_unknown_ids(responder: Responder) -> None:
    reply = responder.entry_reply("hydration")
    assert reply is not None
    assert reply.kind == "answer"
    assert responder.entry_reply("no-such-entry") is None


def test_search_returns_answers_for_inline_mode(responder: Responder) -> None:
    results = responder.search("spasm", limit=10)
    assert 1 <= len(results) <= 10
    assert all(r.kind == "answer" for r in results)


@pytest.mark.parametrize(
    ("query", "reply"), [("I want to kill myself", "crisis"), ("chest pain", "urgent")]
)
def test_inline_emergency_gets_only_its_urgent_card(
    responder: Responder, query: str, reply: str
) -> None:
    [card] = responder.search(query)
    assert card.kind == "urgent"
    assert card.text == getattr(responder.kb.red_flags.replies, reply).strip()


def test_inline_search_respects_the_out_of_scope_guard(responder: Responder) -> None:
    assert responder.respond("how many mg of ibuprofen for a spasm").kind == "fallback"
    assert responder.search("how many mg of ibuprofen for a spasm") == []


def test_module_level_respond_uses_the_shipped_knowledge_base() -> None:
    from bot.core import respond

    reply = respond("what is a muscle spasm")
    assert (reply.kind, reply.entry_id) == ("answer", "what-is-a-muscle-spasm")
