"""Conversations: follow-ups read with the last topic, careful mode after a crisis, memory."""

from __future__ import annotations

import pytest

from bot.core.conversation import ChatContext, ContextStore
from bot.core.evaluation import (
    evaluate_conversations,
    load_conversations,
    responder_chat,
)
from bot.core.replies import Reply
from bot.core.responder import Responder
from tests.conftest import DATA


class Chat:
    """One chat with the real knowledge base, on a made-up clock."""

    def __init__(self, responder: Responder) -> None:
        self.responder = responder
        self.context = ChatContext()
        self.now = 1_000.0

    def say(self, text: str, *, after: float = 20.0) -> Reply:
        self.now += after
        reply, self.context = self.responder.converse(text, self.context, self.now)
        return reply


@pytest.fixture
def chat(responder: Responder) -> Chat:
    return Chat(responder)


def test_how_long_after_the_stretching_answer_is_about_stretching(chat: Chat) -> None:
    assert chat.say("should I stretch when my back cramps").entry_id == "stretching-and-massage"
    reply = chat.say("how long should I do that?")
    assert (reply.kind, reply.entry_id) == ("answer", "stretching-and-massage")


def test_the_same_follow_up_alone_is_not_answered(responder: Responder) -> None:
    assert responder.respond("how long should I do that?").kind == "fallback"
    assert responder.respond("can they make you weaker?").entry_id == "what-is-a-muscle-spasm"
    # An elliptic question that names its own topic closely needs nothing before it.
    assert responder.respond("what about ice?").entry_id == "heat-and-cold"


def test_them_after_the_spasm_definition_means_spasms(chat: Chat) -> None:
    assert chat.say("what is a muscle spasm").entry_id == "what-is-a-muscle-spasm"
    assert chat.say("where do they usually happen?").entry_id == "spasms-in-as"


def test_what_about_at_night_stays_on_the_topic(chat: Chat) -> None:
    chat.say("does stretching help a spasm")
    reply = chat.say("what about at night?")
    assert (reply.kind, reply.entry_id) == ("answer", "stretching-and-massage")


def test_a_message_that_names_another_topic_wins_over_the_context(chat: Chat) -> None:
    chat.say("does stretching help a spasm")
    assert chat.say("and a hot water bottle?").entry_id == "heat-and-cold"


def test_tell_me_more_repeats_the_answer_and_says_so(chat: Chat, responder: Responder) -> None:
    chat.say("what is a muscle spasm")
    reply = chat.say("tell me more")
    assert (reply.kind, reply.entry_id) == ("answer", "what-is-a-muscle-spasm")
    assert reply.note == responder.kb.messages.again.strip()
    assert reply.text.startswith(reply.note)


def test_what_else_goes_to_the_broader_topic(chat: Chat) -> None:
    chat.say("does stretching help a spasm")
    assert chat.say("what else can I do?").entry_id == "relieving-spasms"


def test_an_unresolved_follow_up_offers_the_last_topic_back(chat: Chat) -> None:
    chat.say("does stretching help a spasm")
    reply = chat.say("and the other thing with the zigzags?")
    assert reply.kind == "fallback"
    assert reply.reason == "follow-up"
    assert reply.suggestions[0] == "stretching-and-massage"
    assert reply.disclaimer is not None
    assert reply.text.endswith(reply.disclaimer)


def test_the_second_one_opens_the_second_line_of_a_listed_answer(chat: Chat) -> None:
    assert chat.say("how do i prevent spasms").entry_id == "preventing-spasms"
    assert chat.say("what was the second one again").entry_id == "exercise-program"
    # The list is remembered past the answer that opened one of its lines.
    assert chat.say("and the last one on the list?").entry_id == "when-to-see-a-doctor"


def test_an_ordinal_in_a_new_question_is_not_a_list_line(chat: Chat) -> None:
    chat.say("how do i prevent spasms")
    reply = chat.say("first thing in the morning my calves cramp, what can i do")
    assert reply.entry_id == "relieving-spasms"


def test_the_first_step_after_an_answer_without_parts_repeats_it(chat: Chat) -> None:
    assert chat.say("does acupuncture help spasms").entry_id == "complementary-therapies"
    reply = chat.say("tell me about the first one")
    assert (reply.kind, reply.entry_id) == ("answer", "complementary-therapies")


def test_a_thing_you_mentioned_is_found_among_what_was_said(chat: Chat) -> None:
    assert chat.say("how do i ease a spasm").entry_id == "relieving-spasms"
    assert chat.say("the relaxation stuff you mentioned, go on").entry_id == "relaxation-techniques"


def test_which_of_the_two_works_better_stays_on_the_topic(chat: Chat) -> None:
    assert chat.say("does acupuncture help spasms").entry_id == "complementary-therapies"
    reply = chat.say("which of the two works better")
    assert (reply.kind, reply.entry_id) == ("answer", "complementary-therapies")


def test_something_ruled_out_is_not_the_new_topic(chat: Chat) -> None:
    assert chat.say("my back just locked up, what do i do").entry_id == "relieving-spasms"
    reply = chat.say("no heat pad in the house. anything else?")
    assert (reply.kind, reply.entry_id) == ("answer", "relieving-spasms")
    # Naming the topic without ruling it out still opens it.
    assert chat.say("and a heat pad?").entry_id == "heat-and-cold"


def test_besides_rules_out_the_topic_it_names(chat: Chat) -> None:
    assert chat.say("how do i prevent spasms").entry_id == "preventing-spasms"
    reply = chat.say("what else besides water")
    assert (reply.kind, reply.entry_id) == ("answer", "preventing-spasms")


def test_help_on_its_way_gets_a_steady_reply(chat: Chat, responder: Responder) -> None:
    assert chat.say("my legs have gone numb and i cant pee").kind == "urgent"
    reply = chat.say("ok my partner is calling an ambulance")
    assert reply.kind == "smalltalk"
    assert "glad" not in reply.text.lower()
    assert "great" not in reply.text.lower()


def test_why_after_an_answer_gives_the_answer_again(chat: Chat) -> None:
    chat.say("does drinking water help spasms")
    reply = chat.say("why?")
    assert (reply.kind, reply.entry_id) == ("answer", "hydration")


def test_a_follow_up_after_a_refusal_is_not_read_with_an_older_topic(chat: Chat) -> None:
    chat.say("what is ankylosing spondylitis")
    assert chat.say("is there a cure").kind == "fallback"
    assert chat.say("how long does it take?").kind == "fallback"


def test_context_is_forgotten_after_the_time_to_live(chat: Chat, responder: Responder) -> None:
    chat.say("does stretching help a spasm")
    reply = chat.say("how long should I do that?", after=responder.tuning.context_ttl + 1)
    assert reply.kind == "fallback"


def test_triage_runs_first_inside_a_conversation(chat: Chat) -> None:
    chat.say("does stretching help a spasm")
    reply = chat.say("and now my legs have gone numb and i cant pee")
    assert reply.kind == "urgent"


def test_after_a_crisis_thanks_gets_no_cheerful_reply(chat: Chat, responder: Responder) -> None:
    crisis = chat.say("sometimes i dont want to be here anymore")
    assert crisis.kind == "urgent"
    assert crisis.crisis
    reply = chat.say("ok thank u")
    assert reply.kind == "smalltalk"
    assert reply.careful
    assert "glad" not in reply.text.lower()
    messages = responder.kb.messages
    assert messages.careful_crisis.strip() in reply.text
    assert reply.body == messages.careful_small_talk.strip()
    assert reply.text.endswith(messages.disclaimer.strip())


def test_careful_mode_keeps_the_help_line_on_answers_and_buttons(
    chat: Chat, responder: Responder
) -> None:
    chat.say("i fell off a ladder and now my neck really hurts and my arms tingle")
    answer = chat.say("how do I ease a spasm")
    line = responder.kb.messages.careful_urgent.strip()
    assert answer.kind == "answer"
    assert answer.careful
    assert line in answer.safety_net
    assert line in answer.text
    opened, chat.context = responder.open("heat-and-cold", chat.context, chat.now + 5)
    assert opened is not None
    assert line in opened.text


def test_careful_mode_ends_after_its_time(chat: Chat, responder: Responder) -> None:
    chat.say("sometimes i dont want to be here anymore")
    reply = chat.say("thanks", after=responder.tuning.careful_for + 1)
    assert not reply.careful
    assert responder.kb.messages.careful_crisis.strip() not in reply.text


def test_careful_mode_outlives_the_topics(responder: Responder) -> None:
    context = ChatContext(topics=("medication",), kind="urgent", at=0.0, careful_until=5000.0)
    fresh = context.fresh(now=4000.0, ttl=1800.0)
    assert fresh.topics == ()
    assert fresh.careful(4000.0)


def test_the_store_never_holds_more_than_its_limit() -> None:
    clock = [0.0]
    store = ContextStore(max_chats=1_000, ttl=1800.0, clock=lambda: clock[0])
    for chat in range(100_000):
        clock[0] += 0.001
        store.put(chat, ChatContext(topics=("hydration",), kind="answer", at=clock[0]))
        assert len(store) <= 1_000
    assert len(store) == 1_000
    assert store.get(99_999).topic == "hydration"
    assert store.get(0) == ChatContext()


def test_the_store_drops_chats_that_went_quiet() -> None:
    clock = [0.0]
    store = ContextStore(max_chats=10_000, ttl=100.0, clock=lambda: clock[0])
    for chat in range(50):
        store.put(chat, ChatContext(topics=("hydration",), kind="answer", at=clock[0]))
    clock[0] = 500.0
    store.put("new", ChatContext(topics=("medication",), kind="answer", at=500.0))
    assert len(store) == 1
    assert store.get(3) == ChatContext()


def test_a_careful_chat_is_kept_past_the_time_to_live() -> None:
    clock = [0.0]
    store = ContextStore(ttl=100.0, clock=lambda: clock[0])
    store.put("a", ChatContext(kind="urgent", at=0.0, careful_until=1000.0, crisis=True))
    clock[0] = 500.0
    store.put("b", ChatContext(kind="answer", at=500.0))
    assert store.get("a").careful(500.0)
    clock[0] = 1001.0
    assert store.get("a") == ChatContext()


def test_the_tuning_conversations_score_as_recorded(responder: Responder) -> None:
    conversations = load_conversations(DATA / "conversations.yaml")
    assert conversations is not None
    assert len(conversations) >= 60
    report = evaluate_conversations(responder_chat(responder), conversations)
    assert report.follow_ups_right / report.follow_ups >= 0.80, report.summary()
    assert report.careful_kept == report.careful, report.summary()
    assert report.turns.correct["urgent"] == report.turns.total["urgent"], report.summary()


def test_the_held_back_conversations_keep_every_emergency(responder: Responder) -> None:
    conversations = load_conversations(DATA / "conversations_heldback.yaml")
    assert conversations is not None
    assert sum(len(c.steps) for c in conversations) >= 100
    report = evaluate_conversations(responder_chat(responder), conversations)
    assert report.turns.total["urgent"] >= 1
    assert report.turns.correct["urgent"] == report.turns.total["urgent"], report.summary()
    assert report.turns.false_red_flags == 0, report.summary()
