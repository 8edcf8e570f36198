"""The conversation engine: replay, back, home, more, invalid input, endings, screen limits."""
import pytest

from dialogs.engine import Context, Conversation, Ending, Limits, Option, Step, play

FRUITS = [Option(f"f{i}", f"Fruit {i}", literal=True) for i in range(1, 13)]


def _finish(ctx, answers):
    ctx.events.append(("done", dict(answers)))
    return f"Chose {answers['fruit']} after {answers['menu']}"


TOY = Conversation(
    start="language",
    home="menu",
    keep_on_home=("language",),
    steps={
        "language": Step("language", "Language", (Option("en", "English", literal=True),), "menu",
                         literal_prompt=True),
        "menu": Step("menu", "Menu", (Option("a", "Apples"), Option("b", "Bananas")), "fruit"),
        "fruit": Step("fruit", "Which fruit?", lambda ctx, answers: FRUITS,
                      lambda ctx, answers: "done" if answers["fruit"] != "f1" else "stop"),
    },
    endings={"done": Ending("done", _finish), "stop": Ending("stop", lambda ctx, answers: "Stopped")},
)

LIMITS = Limits(max_options=7, max_chars=156)


def make_context(**overrides):
    values = dict(channel="ussd", session_id="s1", phone="+22376701430", default_language="en")
    values.update(overrides)
    return Context(**values)


def screen(*inputs, ctx=None, limits=LIMITS):
    return play(TOY, list(inputs), ctx or make_context(), limits)


def test_first_screen_is_the_start_step_without_back():
    assert screen().lines == ("Language", "1 English")
    assert not screen().final


@pytest.mark.parametrize("inputs, first_line", [
    (["1"], "Menu"),
    (["1", "1"], "Which fruit?"),
    (["1", "1", "0"], "Menu"),          # back
    (["1", "1", "0", "0"], "Language"),  # back twice
    (["1", "1", "00"], "Menu"),         # home keeps the language
])
def test_navigation(inputs, first_line):
    assert screen(*inputs).lines[0] == first_line


def test_long_lists_are_paginated_with_more_and_back_to_the_previous_page():
    first = screen("1", "1")
    assert first.lines[1:8] == tuple(f"{n} Fruit {n}" for n in range(1, 8))
    assert "98 More" in first.lines and "0 Back" in first.lines
    second = screen("1", "1", "98")
    assert second.lines[1] == "1 Fruit 8"
    assert "98 More" not in second.lines
    assert screen("1", "1", "98", "0").lines == first.lines


def test_choice_on_a_later_page_is_numbered_from_one():
    ctx = make_context()
    final = screen("1", "2", "98", "2", ctx=ctx)
    assert final.final and final.text == "Chose f9 after b"
    assert ctx.events == [("done", {"language": "en", "menu": "b", "fruit": "f9"})]


@pytest.mark.parametrize("garbage", ["9", "abc", "", "-1", "01", "1.5", "98"])
def test_invalid_input_repeats_the_question_with_a_hint(garbage):
    shown = screen("1", garbage)
    assert shown.lines[0].startswith("Invalid choice")
    assert shown.lines[1:] == screen("1").lines
    assert screen("1", garbage, "1").lines[0] == "Which fruit?"


def test_back_on_the_first_screen_is_an_invalid_choice():
    assert screen("0").lines[0].startswith("Invalid choice")


def test_endings_chosen_by_the_answer():
    assert screen("1", "1", "1").text == "Stopped"


def test_inputs_after_an_ending_are_ignored():
    assert screen("1", "1", "1", "5", "5").text == "Stopped"


def test_pages_respect_the_character_limit():
    tight = Limits(max_options=7, max_chars=100)
    for inputs in (["1", "1"], ["1", "1", "98"], ["1", "1", "98", "98"], ["1", "1", "x"]):
        assert len(screen(*inputs, limits=tight).text) <= 100



NOTE = Conversation(
    start="menu",
    home="menu",
    steps={
        "menu": Step("menu", "Menu", (Option("a", "Apples"),), "note"),
        # Typed text, or 1 to skip; offered on SMS only.
        "note": Step("note", "Note?", (Option("", "Skip"),), "size", free_text=True,
                     accept=lambda ctx, answers, text: text.upper() if len(text) < 20 else None,
                     invalid="Too long.", channels=("sms",)),
        "size": Step("size", "Size?", (Option("s", "Small"), Option("l", "Large")), "done"),
    },
    endings={"done": Ending("done", lambda ctx, answers: repr(sorted(answers.items())))},
)


def note(*inputs, channel="sms", **kwargs):
    return play(NOTE, list(inputs), make_context(channel=channel), LIMITS, **kwargs)


def test_a_free_text_step_takes_typed_text_through_its_reader():
    assert note("1", "ripe ones", "1").text == repr([("menu", "a"), ("note", "RIPE ONES"), ("size", "s")])


def test_a_free_text_step_still_takes_its_numbered_options():
    assert note("1", "1", "2").text == repr([("menu", "a"), ("note", ""), ("size", "l")])


def test_typed_text_the_reader_refuses_shows_the_steps_own_hint():
    refused = note("1", "x" * 30)
    assert refused.step == "note" and refused.lines[0] == "Too long."


def test_a_step_not_offered_on_the_channel_is_passed_over():
    assert note("1", channel="ussd").step == "size"
    assert note("1", "1", channel="ussd").text == repr([("menu", "a"), ("size", "s")])


def test_play_can_start_at_a_step_with_answers_already_known():
    resumed = note("ripe", start="note", answers={"menu": "a"})
    assert resumed.step == "size" and resumed.last_answer == ("note", "RIPE")


def test_the_screen_says_which_step_waits_and_which_choices_it_shows():
    shown = note("1", "ripe")
    assert shown.step == "size" and shown.choices == ("Small", "Large") and not shown.final


def test_text_channels_show_the_way_home_except_at_home():
    home_limits = Limits(max_options=7, max_chars=156, show_home=True)
    assert play(NOTE, ["1"], make_context(channel="sms"), home_limits).lines[-1] == "00 Menu"
    assert "00 Menu" not in play(NOTE, [], make_context(channel="sms"), home_limits).lines


@pytest.mark.parametrize("token", ["\u00b2", "\u2460", "\u0661"])  # superscript two, circled one, Arabic-Indic one
def test_digits_a_keypad_does_not_send_are_an_invalid_choice_not_a_crash(token):
    assert screen("1", token).lines[0] == "Invalid choice."
