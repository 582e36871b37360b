"""Text normalisation and tokenisation for English reviews.

The pipeline behind :func:`tokenize` runs in this order:

1. :func:`clean_text` decodes HTML entities, replaces HTML tags with spaces,
   replaces control characters with spaces and lowercases.
2. The clitic ``n't`` becomes the word ``not`` (``don't`` -> ``do not``).
3. One regular expression, run through nltk's ``RegexpTokenizer``, splits the
   text into emoticons, emoji, numbers, words and (optionally) punctuation.
4. Stopwords and short words are dropped.

Every step is a precompiled regular expression or a set lookup, and nothing
needs nltk's downloadable data (punkt, stopwords corpus), so tokenising works
offline.
"""

from __future__ import annotations

import functools
import html
import logging
import math
import multiprocessing
import numbers
import os
import re
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from importlib import resources

import regex
from nltk.tokenize import RegexpTokenizer
from tqdm.auto import tqdm

from embedsent.config import TextConfig

__all__ = [
    "NEGATIONS",
    "STOPWORDS",
    "clean_text",
    "iter_tokenize",
    "stopword_list",
    "tokenize",
    "tokenize_corpus",
]

logger = logging.getLogger(__name__)

NEGATIONS: frozenset[str] = frozenset({"not", "no", "nor", "never"})


def _load_stopwords() -> frozenset[str]:
    """Read the stopword list shipped as package data ``stopwords.txt``."""
    source = resources.files("embedsent").joinpath("stopwords.txt")
    words = set()
    for line in source.read_text(encoding="utf-8").splitlines():
        word = line.split("#", 1)[0].strip().lower()
        if word:
            words.add(word)
    return frozenset(words)


STOPWORDS: frozenset[str] = _load_stopwords()

# --- Cleaning --------------------------------------------------------------

# Standard HTML element names. Only these count as tags, so pseudo-tags that
# reviewers type as words ("<grin>", "<SPOILER>") and the heart "<3" survive.
_HTML_ELEMENTS = (
    "a abbr acronym address area article aside audio b base bdi bdo big "
    "blockquote body br button canvas caption center cite code col colgroup "
    "data datalist dd del details dfn dialog dir div dl dt em embed fieldset "
    "figcaption figure font footer form frame frameset h1 h2 h3 h4 h5 h6 head "
    "header hr html i iframe img input ins kbd label legend li link main map "
    "mark meta meter nav noscript object ol optgroup option output p param "
    "picture pre progress q rp rt ruby s samp script section select small "
    "source span strike strong style sub summary sup table tbody td template "
    "textarea tfoot th thead time title tr track tt u ul var video wbr"
).split()
_TAG_NAME = "|".join(sorted(_HTML_ELEMENTS, key=len, reverse=True))

# A tag is "<" or "</", an element name, then whitespace, "/" or ">", then
# anything up to the next ">". The body excludes "<" and ">", which keeps the
# match linear in the text length. Comments and doctypes count as tags too.
# The last alternative removes a tag cut off at the end of a text ("end<br").
_HTML_TAG_RE = re.compile(
    rf"</?(?:{_TAG_NAME})(?=[\s/>])[^<>]*>|<!(?:--|doctype)[^<>]*>"
    rf"|</?(?:{_TAG_NAME})\s*/?\s*\Z",
    re.IGNORECASE,
)

# The "<" of anything that starts like a tag, delimiter or not. Removing one
# tag can join its neighbours into a new one ("<b<br />r>" -> "<b r>"), so
# when tags remain after the first pass, these "<" become spaces. A space
# cannot complete an element name, so no tag can form after that.
_TAG_OPENER_RE = re.compile(rf"<(?=/?(?:{_TAG_NAME})|!(?:--|doctype))", re.IGNORECASE)

# Control characters (Unicode category Cc), zero-width space and byte-order
# mark. Tab and newline are included because they separate tokens just like
# a space.
_CONTROL_RE = re.compile("[\x00-\x1f\x7f-\x9f\u200b\ufeff]")

# --- Negation --------------------------------------------------------------

_APOSTROPHES = "'\u2019`\u00b4\u02bc"  # ' ’ ` ´ ʼ, all seen in IMDB reviews
# The regex finds only the ending of a negated word ("n't", "nnot" of
# "cannot", or "nt"), because a literal first character keeps the scan fast.
# The stem before it is then checked in Python, once per match.
_NEGATION_ENDING = rf"n(?:[{_APOSTROPHES}]t|not|t)\b"
_NEGATION_ENDING_RE = re.compile(_NEGATION_ENDING)
_NEGATION_ENDING_ANY_CASE_RE = re.compile(_NEGATION_ENDING, re.IGNORECASE)
# The word characters just before a negation ending, when they form a whole
# word of at most 6 characters, which covers every stem checked below.
_NEGATION_STEM_RE = re.compile(r"(?<!\w)\w{0,6}\Z")
# "n't" words whose stem is not the positive word: "can't" -> "can not".
_IRREGULAR_NEGATIONS = {"ca": "can", "wo": "will", "sha": "shall", "ai": "is"}
# Apostrophe-free spellings ("dont", "isnt") are rewritten only for these
# stems, because "cant" and "wont" are also ordinary words.
_BARE_NEGATION_STEMS = frozenset(
    "do does did is was were are has have had could would should must need".split()
)


def _rewrite_negations(text: str, any_case: bool) -> str:
    """Rewrite "n't", "cannot" and "dont"-style spellings with the word "not"."""
    pattern = _NEGATION_ENDING_ANY_CASE_RE if any_case else _NEGATION_ENDING_RE
    pieces = []
    copied_up_to = 0
    for match in pattern.finditer(text):
        start, end = match.span()
        ending = match.group().lower()
        stem_match = _NEGATION_STEM_RE.search(text, max(0, start - 6), start)
        stem = stem_match.group().lower() if stem_match else None
        if ending == "nt":
            if stem not in _BARE_NEGATION_STEMS:
                continue
            replace_from, replacement = start, " not"
        elif ending == "nnot":
            if stem != "ca":
                continue
            replace_from, replacement = start, "n not"
        elif stem in _IRREGULAR_NEGATIONS:
            replace_from = start - len(stem)
            replacement = f"{_IRREGULAR_NEGATIONS[stem]} not"
        else:
            replace_from, replacement = start, " not"
        pieces.append(text[copied_up_to:replace_from])
        pieces.append(replacement)
        copied_up_to = end
    if not pieces:
        return text
    pieces.append(text[copied_up_to:])
    return "".join(pieces)


# --- Token pattern ---------------------------------------------------------
# These pieces use the syntax of the third-party ``regex`` module (Unicode
# properties, \X grapheme clusters, possessive quantifiers), which
# _LinearRegexpTokenizer compiles them with.

# Western emoticons with eyes ":", ";" or "=", an optional nose and a mouth.
# Closing mouths may touch the next word (":)great"). Opening mouths and
# letter mouths must not, so "note:(1)", "http://" and "re:do" stay text.
_EMOTICON = (
    r"(?:>?[:;=][-'o]?"
    r"(?:[)\]}]++|[(\[{]++(?!\w)|[dDpP/\\|*@](?![\w/]))"
    r"|</?3++(?!\d)"  # heart and broken heart, but not the "<3" of "<30"
    r"|\^_*+\^|-_++-)"
)
# One emoji with its modifiers: a grapheme cluster that starts with an
# Extended_Pictographic or regional indicator character, so skin tones, ZWJ
# sequences and flags stay whole. The (C), (R), TM, !!, ?! and i-in-a-box
# signs are pictographic too but are treated as punctuation or letters.
_EMOJI = (
    r"(?:(?=[\p{Extended_Pictographic}\p{Regional_Indicator}])"
    r"(?![\u00a9\u00ae\u203c\u2049\u2122\u2139])\X)"
)
# Numbers with inner separators stay whole: "10/10", "7.5", "1,000", "2:30".
_NUMBER = r"(?:\d++(?:[.,/:]\d++)++)"
# A word starts with a letter or digit and may contain combining marks.
# Apostrophes, hyphens and underscores split words.
_WORD = r"(?:[\p{L}\p{N}][\p{L}\p{N}\p{M}]*+)"
# An ellipsis, a run of "!" and "?", or any single other non-word character.
_PUNCTUATION = r"(?:\.{2,}+|[!?]++|[^\w\s])"


def _token_pattern(keep_emoji: bool, keep_punctuation: bool) -> str:
    """Build the tokenizer pattern.

    The branches start with disjoint sets of characters, except that an
    emoticon or emoji must be tried before punctuation. Words and numbers,
    the most frequent tokens, are tried first. Emoticons and emoji are matched
    even when they are not kept, so their characters never become
    punctuation. When they are not kept, every other branch sits in the
    pattern's only capturing group, so ``findall`` returns an empty string
    for each emoji, and the filter drops it.
    """
    emoji = f"{_EMOTICON}|{_EMOJI}"
    if keep_emoji:
        branches = [_NUMBER, _WORD, emoji]
        if keep_punctuation:
            branches.append(_PUNCTUATION)
        return "|".join(branches)
    kept = [_NUMBER, _WORD]
    if keep_punctuation:
        kept.append(_PUNCTUATION)
    return f"(?:{emoji})|({'|'.join(kept)})"


class _LinearRegexpTokenizer(RegexpTokenizer):
    """nltk's RegexpTokenizer, always compiled with the ``regex`` module.

    The token pattern needs ``regex`` syntax (``\\p{...}`` and ``\\X``). Older
    nltk releases compile RegexpTokenizer patterns with the stdlib ``re``,
    which lacks it. nltk 3.10.4 uses ``regex`` but bounds every match with a
    wall-clock timeout, a guard against patterns that backtrack
    catastrophically. Checking that clock made matching the first 5,000
    unlabeled IMDB reviews about 4 times slower (3.98 s against 1.03 s on a
    shared 2-core machine). This pattern needs no such guard because every
    repetition is possessive and each repeated group must consume a
    separator, so matching time grows linearly with the text length.
    """

    def _check_regexp(self) -> None:
        if self._regexp is None:
            self._regexp = regex.compile(self._pattern, self._flags)


@functools.cache
def _regexp_tokenizer(keep_emoji: bool, keep_punctuation: bool) -> RegexpTokenizer:
    return _LinearRegexpTokenizer(_token_pattern(keep_emoji, keep_punctuation))


class _Pipeline:
    """Tokenizer for one TextConfig: cleaning, negation, matching, filtering."""

    def __init__(self, config: TextConfig):
        self.config = config
        self.tokenizer = _regexp_tokenizer(
            config.keep_emoji, not config.remove_punctuation
        )
        drop = set()
        if config.remove_stopwords:
            drop |= stopword_list(config.keep_negations)
        if not config.keep_emoji:
            drop.add("")  # the empty match that stands for a dropped emoji
        self.drop = frozenset(drop)

    def __call__(self, text: str) -> list[str]:
        config = self.config
        text = _clean(text, config)
        if config.normalize_negations:
            text = _rewrite_negations(text, any_case=not config.lowercase)

        tokens = self.tokenizer.tokenize(text)

        drop = self.drop
        if drop:
            if config.lowercase:
                tokens = [token for token in tokens if token not in drop]
            else:
                # Stopwords match case-insensitively when case is kept.
                tokens = [token for token in tokens if token.lower() not in drop]
        min_length = config.min_token_length
        if min_length > 1:
            # Only words and numbers, which start with a letter or digit, are
            # subject to the minimum length.
            tokens = [
                token
                for token in tokens
                if len(token) >= min_length or not token[0].isalnum()
            ]
        return tokens


@functools.lru_cache(maxsize=64)
def _pipeline(config: TextConfig) -> _Pipeline:
    return _Pipeline(config)


# --- Public API ------------------------------------------------------------


def stopword_list(keep_negations: bool = True) -> frozenset[str]:
    """Return the set of words removed as stopwords.

    Args:
        keep_negations: When False, the negations ``not``, ``no``, ``nor`` and
            ``never`` are added to the shipped list, which never contains them.

    Returns:
        The lowercase stopwords.

    Raises:
        TypeError: If ``keep_negations`` is not a bool.
    """
    if not isinstance(keep_negations, bool):
        raise TypeError(
            f"keep_negations must be True or False, got {keep_negations!r} "
            f"({type(keep_negations).__name__})"
        )
    if keep_negations:
        return STOPWORDS
    return STOPWORDS | NEGATIONS


def clean_text(text: str, config: TextConfig | None = None) -> str:
    """Normalise raw review text before tokenising.

    With ``config.strip_html``, HTML entities are decoded (``&amp;`` -> ``&``)
    and tags of standard HTML elements, comments and doctypes become single
    spaces, so ``"good<br />bad"`` gives ``"good bad"``. Entities are decoded
    first, so escaped markup such as ``&lt;br /&gt;`` is removed as well.
    Text between ``<`` and ``>`` that is not an HTML element, such as
    ``<3`` or ``<grin>``, is kept. Control characters, zero-width spaces and
    byte-order marks always become spaces. With ``config.lowercase``, the
    text is lowercased last.

    Args:
        text: The raw text.
        config: Settings, or ``None`` for the defaults of ``TextConfig()``.

    Returns:
        The cleaned text.

    Raises:
        TypeError: If ``text`` is not a str or ``config`` is not a TextConfig.
    """
    _check_text(text, "text")
    return _clean(text, _resolve_config(config))


def tokenize(text: str, config: TextConfig | None = None) -> list[str]:
    """Split one text into tokens.

    The text is cleaned with :func:`clean_text`. With
    ``config.normalize_negations``, ``n't`` becomes the word ``not``, written
    with a straight, curly or modifier-letter apostrophe, a backtick or an
    acute accent: ``don't`` -> ``do not``, ``can't`` -> ``can not``,
    ``won't`` -> ``will not``. The same rewrite applies to ``cannot`` and to
    apostrophe-free forms that are not English words themselves (``dont``,
    ``isnt``, but not ``cant`` or ``wont``). The inserted ``not`` is
    lowercase even when ``config.lowercase`` is off.

    Tokens are words, numbers, emoticons, emoji and punctuation. Words split
    at apostrophes and hyphens, so ``it's`` gives ``it`` and ``s``. Numbers
    such as ``10/10`` and ``7.5`` stay whole. Emoticons such as ``:)``,
    ``:-(``, ``;)`` and ``<3`` are single tokens. Each emoji is one token,
    split from an adjoining word, with skin tones, ZWJ sequences and flags
    kept whole. The config then drops punctuation, emoji, stopwords and short
    words.

    Args:
        text: The text to tokenise.
        config: Settings, or ``None`` for the defaults of ``TextConfig()``.

    Returns:
        The tokens in text order; empty for text without tokens. No token is
        empty or contains whitespace.

    Raises:
        TypeError: If ``text`` is not a str or ``config`` is not a TextConfig.
    """
    _check_text(text, "text")
    return _pipeline(_resolve_config(config))(text)


def tokenize_corpus(
    texts: Iterable[str],
    config: TextConfig | None = None,
    *,
    n_jobs: int = 1,
    progress: bool = False,
) -> list[list[str]]:
    """Tokenise many texts, optionally in several processes.

    Args:
        texts: An iterable of str, such as a list of reviews. A single str is
            rejected, because iterating it would give one text per character.
        config: Settings, or ``None`` for the defaults of ``TextConfig()``.
        n_jobs: Number of worker processes. 1 tokenises in this process and
            -1 uses one worker per CPU core available to this process. With
            more than one worker, chunks of texts go to a process pool
            started with forkserver (spawn where forkserver is missing), and
            the result equals that of ``n_jobs=1``. A script that uses
            workers must guard its entry point with
            ``if __name__ == "__main__":``, because each worker imports the
            script's main module.
        progress: Show a tqdm progress bar counting texts.

    Returns:
        One token list per text, in input order.

    Raises:
        TypeError: If ``texts`` is a str, bytes or not iterable, an element is
            not a str, or ``config``, ``n_jobs`` or ``progress`` has the wrong
            type.
        ValueError: If ``n_jobs`` is 0 or below -1.
        RuntimeError: If worker processes stop before finishing, as they do
            when a script without the entry-point guard uses workers.
    """
    texts = _check_corpus(texts)
    config = _resolve_config(config)
    workers = _resolve_n_jobs(n_jobs)
    if not isinstance(progress, bool):
        raise TypeError(
            f"progress must be True or False, got {progress!r} "
            f"({type(progress).__name__})"
        )

    started = time.perf_counter()
    with tqdm(
        total=len(texts), disable=not progress, unit="text", desc="tokenize"
    ) as bar:
        if workers == 1 or len(texts) < 2:
            result = _tokenize_serial(texts, config, bar.update)
        else:
            result = _tokenize_parallel(texts, config, workers, bar.update)
    logger.info(
        "Tokenised %d texts into %d tokens with %d process(es) in %.2f s",
        len(texts),
        sum(len(tokens) for tokens in result),
        workers,
        time.perf_counter() - started,
    )
    return result


def iter_tokenize(
    texts: Iterable[str],
    config: TextConfig | None = None,
    *,
    progress: bool = False,
) -> Iterator[list[str]]:
    """Yield the token list of each text, one text at a time.

    Unlike :func:`tokenize_corpus`, which returns every token list at once,
    this keeps only the current text's tokens, so a consumer such as
    :func:`embedsent.vocab.build_and_encode` that stores ids never keeps the
    whole corpus as Python strings. It runs in this process.

    Args:
        texts: An iterable of str; a single str is rejected.
        config: Settings, or ``None`` for the defaults of ``TextConfig()``.
        progress: Show a tqdm progress bar counting texts (with a total
            when ``texts`` has a length).

    Raises:
        TypeError: If ``texts`` is a str, bytes or not iterable, or an
            element is not a str (raised when that element is reached).
    """
    iterator = _iterate_corpus(texts)
    if not isinstance(progress, bool):
        raise TypeError(
            f"progress must be True or False, got {progress!r} "
            f"({type(progress).__name__})"
        )
    total = len(texts) if hasattr(texts, "__len__") else None
    return _iter_tokens(iterator, total, _resolve_config(config), progress)


def _iter_tokens(
    texts: Iterator, total: int | None, config: TextConfig, progress: bool
) -> Iterator[list[str]]:
    pipeline = _pipeline(config)
    with tqdm(total=total, disable=not progress, unit="text", desc="tokenize") as bar:
        for index, text in enumerate(texts):
            _check_text(text, f"texts[{index}]")
            yield pipeline(text)
            bar.update(1)


# --- Helpers ---------------------------------------------------------------


def _clean(text: str, config: TextConfig) -> str:
    # Control characters go before tags are matched, so "<br\x00/>" is a tag.
    # Entities can decode to control characters, so they go first of all.
    if config.strip_html:
        text = html.unescape(text)
    text = _CONTROL_RE.sub(" ", text)
    if config.strip_html:
        text, replaced = _HTML_TAG_RE.subn(" ", text)
        if replaced and _HTML_TAG_RE.search(text):
            text = _TAG_OPENER_RE.sub(" ", text)
    if config.lowercase:
        text = text.lower()
    return text


def _tokenize_serial(
    texts: list[str], config: TextConfig, advance: Callable[[int], object]
) -> list[list[str]]:
    pipeline = _pipeline(config)
    result = []
    for start in range(0, len(texts), 1000):
        chunk = texts[start : start + 1000]
        result.extend(pipeline(text) for text in chunk)
        advance(len(chunk))
    return result


def _tokenize_joined(texts: list[str], config: TextConfig) -> list[str]:
    """Tokenise in a worker process and join each text's tokens with spaces.

    Joining with a space is lossless because no token contains whitespace,
    and one str per text pickles far faster than a list of short str.
    """
    pipeline = _pipeline(config)
    return [" ".join(pipeline(text)) for text in texts]


def _tokenize_parallel(
    texts: list[str],
    config: TextConfig,
    workers: int,
    advance: Callable[[int], object],
) -> list[list[str]]:
    # About four chunks per worker balance the load, and the cap keeps the
    # progress bar moving on large corpora.
    chunk_size = max(1, min(2000, math.ceil(len(texts) / (4 * workers))))
    chunks = [
        texts[start : start + chunk_size] for start in range(0, len(texts), chunk_size)
    ]

    # fork is avoided because it can deadlock when the parent runs threads,
    # as JAX does, and Windows lacks it. forkserver and spawn start workers
    # that import the caller's main module, so a script must guard its entry
    # point with `if __name__ == "__main__":`. Without it the workers fail,
    # and ProcessPoolExecutor then raises BrokenProcessPool where
    # multiprocessing.Pool would restart them forever.
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context(
        "forkserver" if "forkserver" in methods else "spawn"
    )
    work = functools.partial(_tokenize_joined, config=config)

    result = []
    with ProcessPoolExecutor(
        max_workers=min(workers, len(chunks)), mp_context=context
    ) as executor:
        try:
            for joined_chunk in executor.map(work, chunks):
                for joined in joined_chunk:
                    result.append(joined.split(" ") if joined else [])
                advance(len(joined_chunk))
        except BrokenProcessPool as error:
            raise RuntimeError(
                "tokenize_corpus worker processes stopped before finishing. "
                "When a script calls tokenize_corpus with n_jobs > 1, put the "
                'calling code under `if __name__ == "__main__":`, or pass '
                "n_jobs=1"
            ) from error
    return result


def _resolve_config(config: TextConfig | None) -> TextConfig:
    if config is None:
        return TextConfig()
    if not isinstance(config, TextConfig):
        raise TypeError(
            f"config must be a TextConfig or None, got {type(config).__name__}; "
            "build one with embedsent.config.TextConfig(...)"
        )
    return config


def _check_text(text: object, name: str) -> None:
    if isinstance(text, str):
        return
    if isinstance(text, bytes | bytearray):
        raise TypeError(
            f"{name} must be str, got {type(text).__name__}; decode it first, "
            "for example with text.decode('utf-8')"
        )
    raise TypeError(
        f"{name} must be str, got {type(text).__name__}; pass the text as a str"
    )


def _iterate_corpus(texts: object) -> Iterator:
    """Return an iterator over ``texts``, rejecting one text or a non-iterable."""
    if isinstance(texts, str | bytes | bytearray):
        raise TypeError(
            "texts must be a corpus, an iterable of texts, not one "
            f"{type(texts).__name__}; wrap a single text in a list: [text]"
        )
    try:
        return iter(texts)
    except TypeError:
        raise TypeError(
            f"texts must be an iterable of str, got {type(texts).__name__}; "
            "pass a list of texts"
        ) from None


def _check_corpus(texts: object) -> list[str]:
    texts = list(_iterate_corpus(texts))
    for index, text in enumerate(texts):
        _check_text(text, f"texts[{index}]")
    return texts


def _resolve_n_jobs(n_jobs: object) -> int:
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, numbers.Integral):
        raise TypeError(
            f"n_jobs must be an int, got {n_jobs!r} ({type(n_jobs).__name__})"
        )
    n_jobs = int(n_jobs)
    if n_jobs == -1:
        try:
            return len(os.sched_getaffinity(0))
        except AttributeError:  # sched_getaffinity exists only on some Unixes
            return os.cpu_count() or 1
    if n_jobs < 1:
        raise ValueError(
            f"n_jobs must be a positive int or -1 (one worker per CPU core), "
            f"got {n_jobs}; use n_jobs=1 to tokenise in this process"
        )
    return n_jobs
