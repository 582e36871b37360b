"""Tests for embedsent.text: cleaning, tokenising and stopwords."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
import tarfile
import textwrap
from importlib import resources

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from embedsent.config import TextConfig
from embedsent.text import (
    NEGATIONS,
    STOPWORDS,
    clean_text,
    iter_tokenize,
    stopword_list,
    tokenize,
    tokenize_corpus,
)

KEEP_ALL = TextConfig(remove_stopwords=False, remove_punctuation=False)
NO_STOPWORD_REMOVAL = TextConfig(remove_stopwords=False)

# A tag of a common HTML element, written independently of embedsent.text.
HTML_TAG = re.compile(r"</?(?:a|b|br|i|p|em|div|span)[\s/>][^<>]*>", re.IGNORECASE)


def is_subsequence(short: list[str], long: list[str]) -> bool:
    remaining = iter(long)
    return all(token in remaining for token in short)


# --- Stopwords -------------------------------------------------------------


def test_stopwords_size_and_case():
    assert isinstance(STOPWORDS, frozenset)
    assert 150 <= len(STOPWORDS) <= 180
    assert all(word == word.lower() for word in STOPWORDS)
    assert all(word for word in STOPWORDS)
    assert not any(character.isspace() for word in STOPWORDS for character in word)


def test_stopwords_exclude_negations():
    assert NEGATIONS == frozenset({"not", "no", "nor", "never"})
    assert not STOPWORDS & NEGATIONS


@pytest.mark.parametrize(
    "word", ["but", "very", "too", "however", "good", "bad", "great", "like"]
)
def test_stopwords_exclude_sentiment_words(word):
    assert word not in STOPWORDS


@pytest.mark.parametrize(
    "word", ["the", "a", "and", "is", "of", "it", "they", "would", "with"]
)
def test_stopwords_include_function_words(word):
    assert word in STOPWORDS


@pytest.mark.parametrize("fragment", ["s", "t", "ll", "re", "ve", "d", "m"])
def test_stopwords_include_clitic_fragments(fragment):
    assert fragment in STOPWORDS


def test_stopword_file_shipped_with_header():
    source = resources.files("embedsent").joinpath("stopwords.txt")
    lines = source.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("#")
    words = [line for line in lines if line.strip() and not line.startswith("#")]
    assert frozenset(words) == STOPWORDS
    assert len(words) == len(set(words))


def test_stopword_list_keeps_negations_by_default():
    assert stopword_list() == STOPWORDS
    assert stopword_list(keep_negations=True) == STOPWORDS


def test_stopword_list_can_add_negations():
    words = stopword_list(keep_negations=False)
    assert words == STOPWORDS | NEGATIONS
    assert isinstance(words, frozenset)


def test_stopword_list_rejects_non_bool():
    with pytest.raises(TypeError, match=r"keep_negations must be True or False"):
        stopword_list(keep_negations="yes")


# --- clean_text ------------------------------------------------------------


def test_clean_text_br_becomes_space():
    assert clean_text("good<br />bad") == "good bad"
    assert clean_text("good<br/>bad") == "good bad"
    assert clean_text("good<BR>bad") == "good bad"


def test_clean_text_strips_tags_with_attributes():
    cleaned = clean_text('<i>Great</i> see <a href="http://x.org/">this</a>!')
    assert cleaned == " great  see  this !"


def test_clean_text_decodes_entities():
    assert clean_text("Tom &amp; Jerry &quot;rock&quot; &#39;n&#39;") == (
        "tom & jerry \"rock\" 'n'"
    )


def test_clean_text_removes_escaped_tags():
    assert clean_text("good&lt;br /&gt;bad") == "good bad"


def test_clean_text_keeps_heart_and_pseudo_tags():
    assert clean_text("I <3 it <grin>") == "i <3 it <grin>"
    assert clean_text("I &lt;3 it") == "i <3 it"


def test_clean_text_nested_tags_leave_no_tag():
    for text in ["<b<br />r>x<i<i>>", "<b<b<br />>", "</<i<i>>"]:
        assert HTML_TAG.search(clean_text(text)) is None


def test_clean_text_control_characters_become_spaces():
    assert clean_text("a\x00b\x07c\x1fd\x85e\u200bf\ufeffg") == "a b c d e f g"
    assert clean_text("tab\tnew\nline") == "tab new line"


def test_clean_text_control_character_inside_tag():
    assert clean_text("a<br\x00/>b") == "a b"
    assert HTML_TAG.search(clean_text("a<i\x07>b")) is None


def test_clean_text_lowercase_off_keeps_case():
    assert clean_text("Good <b>FILM</b>", TextConfig(lowercase=False)) == (
        "Good  FILM "
    )


def test_clean_text_strip_html_off_keeps_markup():
    config = TextConfig(strip_html=False)
    assert clean_text("a<br />b &amp;", config) == "a<br />b &amp;"


def test_clean_text_rejects_non_str():
    with pytest.raises(TypeError, match=r"text must be str, got int"):
        clean_text(5)


# --- Negations -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("don't", ["do", "not"]),
        ("isn't", ["is", "not"]),
        ("can't", ["can", "not"]),
        ("won't", ["will", "not"]),
        ("shan't", ["shall", "not"]),
        ("ain't", ["is", "not"]),
        ("don\u2019t", ["do", "not"]),
        ("can\u2019t", ["can", "not"]),
        ("won\u2019t", ["will", "not"]),
        ("don`t", ["do", "not"]),
        ("didn\u00b4t", ["did", "not"]),
        ("cannot", ["can", "not"]),
        ("dont", ["do", "not"]),
        ("doesnt", ["does", "not"]),
        ("DON'T", ["do", "not"]),
    ],
)
def test_negation_rewritten_as_not(text, expected):
    assert tokenize(text, NO_STOPWORD_REMOVAL) == expected


@pytest.mark.parametrize("word", ["cant", "wont", "want", "went", "annotation"])
def test_negation_leaves_ordinary_words(word):
    assert tokenize(word, NO_STOPWORD_REMOVAL) == [word]


def test_negation_inside_sentence():
    tokens = tokenize("I couldn't stand it, and it wasn't fun", NO_STOPWORD_REMOVAL)
    assert tokens == [
        "i", "could", "not", "stand", "it", "and", "it", "was", "not", "fun"
    ]  # fmt: skip


def test_negation_keeps_case_of_stem():
    config = TextConfig(lowercase=False, remove_stopwords=False)
    assert tokenize("Isn't it", config) == ["Is", "not", "it"]
    assert tokenize("WON'T", config) == ["will", "not"]


def test_not_good_differs_from_good():
    not_good = tokenize("not good")
    good = tokenize("good")
    assert not_good == ["not", "good"]
    assert good == ["good"]
    assert not_good != good


def test_didnt_like_keeps_not():
    assert tokenize("didn't like it") == ["not", "like"]


def test_negation_normalisation_off_splits_clitic():
    config = TextConfig(normalize_negations=False, remove_stopwords=False)
    assert tokenize("don't", config) == ["don", "t"]
    assert tokenize("cannot", config) == ["cannot"]


def test_keep_negations_off_removes_not():
    config = TextConfig(keep_negations=False)
    assert tokenize("not good, never bad", config) == ["good", "bad"]
    assert tokenize("I don't like it", config) == ["like"]


# --- Words, numbers and punctuation ----------------------------------------


def test_words_split_at_apostrophes_and_hyphens():
    tokens = tokenize("It's a well-made co-star's film", NO_STOPWORD_REMOVAL)
    assert tokens == ["it", "s", "a", "well", "made", "co", "star", "s", "film"]


def test_stopwords_removed():
    assert tokenize("The film is one of the best I have seen") == [
        "film", "one", "best", "seen"
    ]  # fmt: skip


def test_contrast_and_degree_words_kept():
    assert tokenize("good but very long and too slow") == [
        "good", "but", "very", "long", "too", "slow"
    ]  # fmt: skip


def test_stopwords_match_any_case_when_case_kept():
    config = TextConfig(lowercase=False)
    assert tokenize("The Film IS Great", config) == ["Film", "Great"]


def test_numbers_kept_whole():
    tokens = tokenize("10/10, 7.5 stars from 1,000 fans at 2:30 in 1999")
    assert tokens == ["10/10", "7.5", "stars", "1,000", "fans", "2:30", "1999"]


def test_accented_words_kept_whole():
    assert tokenize("café naïve") == ["café", "naïve"]
    assert tokenize("cafe\u0301") == ["cafe\u0301"]


def test_punctuation_dropped_by_default():
    assert tokenize("Wow!!! Really?! Yes... (maybe) - ok; #1 $5 @x") == [
        "wow", "really", "yes", "maybe", "ok", "1", "5", "x"
    ]  # fmt: skip


def test_punctuation_kept_when_asked():
    assert tokenize("Wow!!! Yes... (ok)", KEEP_ALL) == [
        "wow", "!!!", "yes", "...", "(", "ok", ")"
    ]  # fmt: skip


@pytest.mark.parametrize("text", ["", " ", "\n\t  \r", "!!!", "... ?! -- (*)", "\x00"])
def test_texts_without_tokens_give_empty_list(text):
    assert tokenize(text) == []


def test_min_token_length_drops_short_words():
    config = TextConfig(min_token_length=3, remove_stopwords=False)
    assert tokenize("a bb ccc dddd 7 42 365", config) == ["ccc", "dddd", "365"]


def test_min_token_length_exempts_emoji():
    config = TextConfig(min_token_length=3, remove_stopwords=False)
    assert tokenize("ok :) <3 😀 wow", config) == [":)", "<3", "😀", "wow"]


def test_min_token_length_exempts_punctuation():
    config = TextConfig(min_token_length=3, remove_punctuation=False)
    assert tokenize("ok ! fine", config) == ["!", "fine"]


# --- Emoticons and emoji ---------------------------------------------------


@pytest.mark.parametrize(
    "emoticon", [":)", ":-(", ":D", "<3", ";)", ":P", ";-)", ":(", "=)", ":'("]
)
def test_emoticon_single_token(emoticon):
    expected = emoticon.lower()
    assert tokenize(f"great {emoticon} film") == ["great", expected, "film"]
    assert tokenize(f"great {emoticon} film", KEEP_ALL) == ["great", expected, "film"]


def test_emoticon_keeps_case_when_case_kept():
    assert tokenize("ok :D", TextConfig(lowercase=False)) == ["ok", ":D"]


def test_emoticon_glued_to_words():
    assert tokenize("great:)film") == ["great", ":)", "film"]
    assert tokenize("loved it:-)))") == ["loved", ":-)))"]


def test_heart_survives_html_stripping():
    assert tokenize("I <3 this<br />film") == ["<3", "film"]


@pytest.mark.parametrize(
    ("text", "unexpected"),
    [
        ("http://www.imdb.com/title", ":/"),
        ("see note:(1) and", ":("),
        ("re:do it", ":d"),
        ("scored x<30", "<3"),
        ("at 10:30 tonight", ":3"),
    ],
)
def test_emoticon_lookalikes_stay_text(text, unexpected):
    assert unexpected not in tokenize(text, KEEP_ALL)


def test_emoji_run_one_token_each():
    assert tokenize("😀😀🎉") == ["😀", "😀", "🎉"]


def test_emoji_glued_to_word():
    assert tokenize("great😀") == ["great", "😀"]
    assert tokenize("😀great") == ["😀", "great"]


def test_emoji_modifiers_kept_whole():
    family = "👨\u200d👩\u200d👧"
    assert tokenize("nice 👍🏽 film") == ["nice", "👍🏽", "film"]
    assert tokenize(f"a {family} film") == [family, "film"]
    assert tokenize("🇺🇸🇬🇧") == ["🇺🇸", "🇬🇧"]
    assert tokenize("love ❤️") == ["love", "❤️"]


def test_emoji_kept_when_punctuation_removed():
    assert tokenize("wow 😀 !!! :)") == ["wow", "😀", ":)"]


def test_keep_emoji_off_drops_emoji_and_emoticons():
    config = TextConfig(keep_emoji=False)
    assert tokenize("great 😀 film :) <3 👍🏽 x", config) == ["great", "film", "x"]


def test_keep_emoji_off_does_not_leave_emoticon_punctuation():
    config = TextConfig(keep_emoji=False, remove_punctuation=False)
    assert tokenize("great :) film!", config) == ["great", "film", "!"]


def test_trademark_sign_is_punctuation():
    assert tokenize("Brand™ ©2001") == ["brand", "2001"]


# --- HTML in tokens --------------------------------------------------------


def test_br_never_a_token():
    text = "One<br /><br />two<br/>three<BR>four<br >five &lt;br /&gt;six"
    tokens = tokenize(text, KEEP_ALL)
    assert "br" not in tokens
    assert [t for t in tokens if t.isalpha()] == [
        "one", "two", "three", "four", "five", "six"
    ]  # fmt: skip


def test_tags_with_attributes_leave_no_tokens():
    tokens = tokenize('<a href="http://example.org/page">link</a> <i>x</i>', KEEP_ALL)
    assert tokens == ["link", "x"]


def test_pseudo_tag_words_kept():
    assert tokenize("<grin> what a <SPOILER> twist") == ["grin", "spoiler", "twist"]


# --- Input types -----------------------------------------------------------


def test_tokenize_rejects_int():
    with pytest.raises(TypeError, match=r"text must be str, got int; pass the text"):
        tokenize(123)


def test_tokenize_rejects_none():
    with pytest.raises(TypeError, match=r"text must be str, got NoneType"):
        tokenize(None)


def test_tokenize_rejects_bytes():
    with pytest.raises(TypeError, match=r"got bytes; decode it first"):
        tokenize(b"good film")


def test_tokenize_rejects_wrong_config():
    with pytest.raises(TypeError, match=r"config must be a TextConfig or None"):
        tokenize("good", {"lowercase": True})


def test_tokenize_accepts_str_subclass():
    class Review(str):
        pass

    assert tokenize(Review("Good film")) == ["good", "film"]


# --- tokenize_corpus -------------------------------------------------------


def test_corpus_matches_tokenize():
    texts = ["Good film :)", "", "I didn't like it<br />at all", "😀😀"]
    assert tokenize_corpus(texts) == [tokenize(text) for text in texts]


def test_corpus_passes_config():
    config = TextConfig(remove_stopwords=False)
    assert tokenize_corpus(["The end"], config) == [["the", "end"]]


def test_corpus_accepts_generator():
    texts = (f"film {number}" for number in range(3))
    assert tokenize_corpus(texts) == [["film", "0"], ["film", "1"], ["film", "2"]]


def test_corpus_empty():
    assert tokenize_corpus([]) == []


def test_corpus_rejects_single_str():
    with pytest.raises(
        TypeError, match=r"iterable of texts, not one str; wrap a single text"
    ):
        tokenize_corpus("a plain string")


def test_corpus_rejects_single_bytes():
    with pytest.raises(TypeError, match=r"iterable of texts, not one bytes"):
        tokenize_corpus(b"a plain string")


def test_corpus_rejects_non_iterable():
    with pytest.raises(TypeError, match=r"texts must be an iterable of str, got int"):
        tokenize_corpus(42)


def test_corpus_rejects_non_str_element_with_index():
    with pytest.raises(TypeError, match=r"texts\[2\] must be str, got float"):
        tokenize_corpus(["good", "bad", 1.5])


def test_corpus_rejects_bytes_element():
    with pytest.raises(TypeError, match=r"texts\[1\] must be str, got bytes; decode"):
        tokenize_corpus(["good", b"bad"])


@pytest.mark.parametrize("n_jobs", [0, -2])
def test_corpus_rejects_bad_n_jobs(n_jobs):
    with pytest.raises(
        ValueError, match=rf"n_jobs must be a positive int or -1.*got {n_jobs}"
    ):
        tokenize_corpus(["good"], n_jobs=n_jobs)


@pytest.mark.parametrize("n_jobs", [True, 1.5, "2"])
def test_corpus_rejects_non_int_n_jobs(n_jobs):
    with pytest.raises(TypeError, match=r"n_jobs must be an int"):
        tokenize_corpus(["good"], n_jobs=n_jobs)


def test_corpus_rejects_non_bool_progress():
    with pytest.raises(TypeError, match=r"progress must be True or False"):
        tokenize_corpus(["good"], progress=1)


def test_corpus_parallel_equals_serial():
    base = [
        "Great film :) 10/10",
        "",
        "I didn't like it<br />at all!!!",
        "😀😀🎉 great😀",
        "   ",
        "the",
        "Can't WON'T cannot",
    ]
    texts = [f"{text} review {index}" for index in range(60) for text in base]
    texts += base  # the last texts give empty token lists
    config = TextConfig(min_token_length=2)
    serial = tokenize_corpus(texts, config, n_jobs=1)
    parallel = tokenize_corpus(texts, config, n_jobs=2)
    assert parallel == serial
    assert len(parallel) == len(texts)
    assert parallel[-3:-1] == [[], []]


@pytest.mark.slow
def test_corpus_parallel_unguarded_script_raises(tmp_path):
    script = tmp_path / "unguarded.py"
    script.write_text(
        "from embedsent.text import tokenize_corpus\n"
        "tokenize_corpus(['good film'] * 10, n_jobs=2)\n"
    )
    completed = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=300
    )
    assert completed.returncode != 0
    assert 'if __name__ == "__main__":' in completed.stderr


def test_corpus_progress_bar_on_stderr(capsys):
    tokenize_corpus(["good", "bad", "ugly"], progress=True)
    err = capsys.readouterr().err
    assert "tokenize" in err
    assert "3/3" in err


def test_corpus_no_progress_bar_by_default(capsys):
    tokenize_corpus(["good", "bad", "ugly"])
    captured = capsys.readouterr()
    assert captured.err == ""
    assert captured.out == ""


def test_corpus_logs_summary(caplog):
    with caplog.at_level(logging.INFO, logger="embedsent.text"):
        tokenize_corpus(["good film", "bad"])
    assert "Tokenised 2 texts into 3 tokens" in caplog.text


# --- No nltk data needed ---------------------------------------------------


def test_works_without_nltk_data(tmp_path):
    empty = tmp_path / "nltk_data"
    empty.mkdir()
    script = textwrap.dedent(
        f"""
        import nltk

        nltk.data.path[:] = [{str(empty)!r}]

        def fail_on_data_access(*args, **kwargs):
            raise AssertionError("nltk tried to download or load data")

        nltk.download = fail_on_data_access
        nltk.data.load = fail_on_data_access
        nltk.data.find = fail_on_data_access

        from embedsent.text import tokenize

        print(tokenize("The film wasn't good :) <br />"))
        """
    )
    completed = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "NLTK_DATA": str(empty), "HOME": str(tmp_path)},
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == "['film', 'not', 'good', ':)']"


# --- Property-based tests --------------------------------------------------

configs = st.builds(
    TextConfig,
    lowercase=st.booleans(),
    strip_html=st.booleans(),
    normalize_negations=st.booleans(),
    remove_stopwords=st.booleans(),
    keep_negations=st.booleans(),
    remove_punctuation=st.booleans(),
    keep_emoji=st.booleans(),
    min_token_length=st.integers(1, 4),
)
control_text = st.text(
    alphabet=st.one_of(
        st.characters(categories=["Cc", "Cf", "Zs", "Zl", "Zp"]),
        st.sampled_from("ab <>/&;:)'n\u2019t😀🏽\u200d"),
    )
)
tag_soup = st.lists(
    st.sampled_from(
        [
            "<br />",
            "<br/>",
            "<BR>",
            "<i>",
            "</i>",
            "<a href='x'>",
            "</a>",
            "<b",
            "<",
            ">",
            "/",
            "b",
            "r",
            "br",
            "i",
            "a",
            " ",
            "&lt;",
            "&gt;",
            "x",
            "<3",
        ]
    ),  # fmt: skip
    max_size=40,
).map("".join)
long_text = st.text(min_size=1, max_size=60).map(
    lambda fragment: (fragment * (100_000 // len(fragment) + 1))[:100_000]
)


def assert_valid_tokens(tokens: list[str]) -> None:
    assert isinstance(tokens, list)
    for token in tokens:
        assert isinstance(token, str)
        assert token != ""
        assert not any(character.isspace() for character in token)


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_fuzz_tokenize_any_text(text):
    assert_valid_tokens(tokenize(text))


@settings(max_examples=200, deadline=None)
@given(st.text(), configs)
def test_fuzz_tokenize_any_config(text, config):
    assert_valid_tokens(tokenize(text, config))


@settings(max_examples=200, deadline=None)
@given(control_text, configs)
def test_fuzz_control_characters(text, config):
    assert_valid_tokens(tokenize(text, config))
    cleaned = clean_text(text, config)
    assert not any(ord(character) < 32 for character in cleaned)
    if config.strip_html:
        assert HTML_TAG.search(cleaned) is None


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(long_text)
def test_fuzz_very_long_text(text):
    assert_valid_tokens(tokenize(text, KEEP_ALL))


@settings(max_examples=300, deadline=None)
@given(st.one_of(tag_soup, st.text()))
def test_fuzz_clean_text_leaves_no_tags(text):
    assert HTML_TAG.search(clean_text(text)) is None


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["good", "bad", "film", "brr", "rb"]),
            st.sampled_from(["<br />", "<br/>", "<BR>", "<br>", " <br /><br /> "]),
        ),
        max_size=10,
    )
)
def test_fuzz_br_never_a_token(pieces):
    text = "".join(word + tag for word, tag in pieces)
    assert "br" not in tokenize(text, KEEP_ALL)


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_fuzz_filters_only_remove_tokens(text):
    everything = tokenize(text, KEEP_ALL)
    assert is_subsequence(tokenize(text), everything)
    assert is_subsequence(
        tokenize(text, TextConfig(keep_emoji=False, remove_stopwords=False)),
        everything,
    )
    assert is_subsequence(
        tokenize(text, TextConfig(min_token_length=3, remove_stopwords=False)),
        everything,
    )


# --- Real data -------------------------------------------------------------


@pytest.mark.realdata
def test_real_reviews_tokenise_cleanly(imdb_archive):
    texts = []
    with tarfile.open(imdb_archive, "r:gz") as archive:
        for member in archive:
            if member.isfile() and member.name.endswith(".txt"):
                if member.name.count("/") == 3:
                    texts.append(archive.extractfile(member).read().decode("utf-8"))
            if len(texts) == 300:
                break
    assert len(texts) == 300
    token_lists = tokenize_corpus(texts)
    assert all(token_lists)
    for tokens in token_lists:
        assert "br" not in tokens
        assert_valid_tokens(tokens)
    assert sum(tokens.count("not") for tokens in token_lists) > 50


def test_iter_tokenize_yields_what_tokenize_corpus_returns():
    texts = ["A great film!<br />Loved it.", "", "It wasn't good :(", "Meh."]
    streamed = iter_tokenize(iter(texts), NO_STOPWORD_REMOVAL)
    assert not isinstance(streamed, list)
    assert list(streamed) == tokenize_corpus(texts, NO_STOPWORD_REMOVAL)


def test_iter_tokenize_rejects_a_single_text_at_once():
    with pytest.raises(TypeError, match="wrap a single text in a list"):
        iter_tokenize("one review")
    with pytest.raises(TypeError, match="iterable of str, got int"):
        iter_tokenize(3)


def test_iter_tokenize_names_the_non_string_text():
    stream = iter_tokenize(["fine", b"bytes"])
    assert next(stream) == ["fine"]
    with pytest.raises(TypeError, match=r"texts\[1\]"):
        next(stream)
