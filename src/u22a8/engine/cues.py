"""Tone cues: a few dozen hand-written indicators of politeness and tone strategies, per text.

N-gram TF-IDF sees words, but a linear model on it learns each word on its own and needs many
examples of each. Tone is carried by *strategies* that many different words realise (gratitude,
apology, hedging, indirect requests, direct questions, ...) and by *where* they occur ("please"
opening a request reads differently from "please" at its end; a request opening with "So" or
"Why" reads as confrontational). Each cue pools a strategy's surface forms into one column, so
rare forms borrow strength from common ones, and position cues say what the bag of n-grams
cannot.

Cues are computed from each text alone, with fixed scaling and nothing fitted, so they cannot
leak anything across cross-validation folds, and a stored model needs no extra state. The
lexicons are deliberately small and general (support tickets, talk pages, e-mail), English only;
on text in another language the cues are mostly zero and the block costs nothing but columns.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["CUE_NAMES", "cue_matrix", "text_cues"]

_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")
_SENTENCE = re.compile(r"[^.!?\n]+[.!?]*")


def _words(*items: str) -> frozenset[str]:
    return frozenset(w for item in items for w in item.split())


def _phrases(*items: str) -> re.Pattern[str]:
    """One regex matching any of the phrases as whole words (lowercased text, straight quotes)."""
    alternatives = sorted({p.strip() for p in items}, key=len, reverse=True)
    body = "|".join(re.escape(p).replace(r"\ ", r"\s+") for p in alternatives)
    return re.compile(rf"(?<![a-z'])(?:{body})(?![a-z'])")


# -- lexicons (written for this module; small on purpose: each entry must be unambiguous) --------
GRATITUDE = _phrases("thank you", "thanks", "thank", "thx", "ty", "appreciate", "appreciated", "appreciating",
                     "grateful", "gratitude", "much obliged", "cheers", "many thanks", "kudos")
PLEASE = _phrases("please", "pls", "plz", "kindly")
APOLOGY = _phrases("sorry", "apologies", "apologize", "apologise", "apologized", "apologised", "my apologies",
                   "excuse me", "pardon", "forgive me", "my bad", "my mistake", "my fault", "regret",
                   "sorry to bother", "sorry to trouble", "i hate to bother")
GREETING = _words("hi hello hey heya hiya dear greetings howdy yo")
GREETING_PHRASES = _phrases("good morning", "good afternoon", "good evening", "hope you are well",
                            "hope you're well", "hope this finds you", "how are you")
HEDGES = _phrases("i think", "i believe", "i guess", "i suppose", "i feel", "i assume", "i wonder", "i was wondering",
                  "wondering", "maybe", "perhaps", "possibly", "probably", "presumably", "apparently",
                  "might", "seems", "seem", "seemed", "somewhat", "sort of", "kind of", "a bit", "a little",
                  "not sure", "i'm not sure", "unsure", "if i'm not mistaken", "i may be wrong", "as far as i know",
                  "afaik", "imho", "imo", "in my opinion", "suggest", "suggestion", "tend to", "likely",
                  "unless i'm", "or so", "roughly", "somehow")
COUNTERFACTUAL = _phrases("could you", "would you", "could we", "would it", "might you", "would you mind",
                          "would you be", "could i", "would i", "might i", "may i", "would it be possible",
                          "would you like", "i would like", "i'd like", "i would appreciate", "i'd appreciate",
                          "would be great", "would be nice", "would be grateful", "would love")
INDICATIVE = _phrases("can you", "will you", "can't you", "won't you", "cant you", "wont you", "do you",
                      "don't you", "dont you", "are you going to", "did you", "didn't you", "have you",
                      "why did you", "why do you", "why don't you", "why are you", "why have you")
CONDITIONAL = _phrases("if you could", "if you can", "if you don't mind", "if you have time", "if possible",
                       "if it's not too much", "if you get a chance", "if you have a moment", "when you get a chance",
                       "when you have time", "do you mind", "would you mind", "if that's ok", "if that's okay",
                       "if you want", "if you like", "if you'd like", "feel free")
DEFERENCE = _phrases("great question", "good question", "interesting question", "good point", "great point",
                     "fair point", "you're right", "you are right", "good job", "great job", "nice job", "well done",
                     "nice work", "good work", "great work", "excellent work", "impressive", "impressed",
                     "nice catch", "good catch", "good idea", "great idea", "valid point", "you're welcome",
                     "my pleasure", "thanks for your", "thank you for your", "much appreciated", "thanks again")
INDIRECT = _phrases("by the way", "btw", "incidentally", "on another note", "just curious", "out of curiosity",
                    "just wondering", "just a quick", "quick question", "just to let you know", "fyi")
FACTUALITY = _phrases("in fact", "actually", "really", "the fact is", "the point is", "the truth is", "in reality",
                      "obviously", "clearly", "of course", "the reality is", "as a matter of fact", "indeed",
                      "literally", "seriously", "frankly", "honestly", "certainly", "definitely")
OBLIGATION = _phrases("you should", "you must", "you need to", "you have to", "you'd better", "you better",
                      "you ought to", "must", "have to", "need to", "should not", "shouldn't", "stop", "don't",
                      "do not", "never")
NEGATIVE = _words(
    "wrong bad worse worst terrible awful horrible stupid dumb idiot idiots idiotic moron fool foolish silly "
    "ridiculous absurd nonsense rubbish garbage crap shit hell damn damned fuck fucking bitch ass ugly hate "
    "hated hates useless pointless waste wasted worthless pathetic lame lazy incompetent ignorant rude "
    "annoying annoyed angry upset disgusting disgrace shame shameful liar lie lies lying blame fault "
    "vandal vandals vandalism vandalize spam troll trolling attack attacks attacking abuse abusive "
    "disruptive disrupt harass harassment threat threaten threatening block blocked ban banned "
    "problem problems issue mess messed broken fail failed failure poor poorly unacceptable unfair "
    "insult insulting offensive offended biased bias pov hostile aggressive nasty boring confused confusing "
    "false misleading bogus fake ignore ignored ignoring complain complaint whine whining sucks suck")
POSITIVE = _words(
    "good great nice excellent wonderful fantastic amazing awesome brilliant superb terrific outstanding "
    "lovely beautiful fine perfect cool helpful useful valuable kind kindly generous friendly happy glad "
    "pleased pleasure delighted enjoy enjoyed love loved like liked welcome welcomed best better "
    "impressive impressed interesting fascinating thoughtful appreciate appreciated grateful thanks "
    "congratulations congrats bravo wow support supportive fair polite patience patient hope hopefully "
    "agree agreed correct right well nicely improve improved improvement glad")
FIRST_SINGULAR = _words("i me my mine myself i'm i've i'd i'll")
FIRST_PLURAL = _words("we us our ours ourselves we're we've we'd we'll let's")
SECOND = _words("you your yours yourself yourselves you're you've you'd you'll u ur")
QUESTION_WORDS = _words("what why how where when who which whom whose")
DIRECT_STARTS = _words("so but and then well look listen now ok okay")
NEGATIONS = _words("not no never nothing nobody none neither nor don't doesn't didn't isn't aren't wasn't weren't "
                   "can't cannot won't wouldn't shouldn't couldn't haven't hasn't hadn't dont doesnt didnt isnt "
                   "cant wont")
# Imperatives that open a demand ("Stop reverting", "Explain yourself"); a bare verb at the start
# is how most blunt requests begin.
IMPERATIVE_STARTS = _words("stop quit explain tell give show read look check fix answer leave go get do don't "
                           "put take add remove delete revert undo keep make let note see consider provide "
                           "use try cease desist respond reply learn")
EMOTICON = re.compile(r"(?:[:;=]-?[)\]pPD3]|\^_?\^|<3)")


def _count(pattern: re.Pattern[str], text: str) -> int:
    return len(pattern.findall(text))


def _squash(n: float) -> float:
    """Counts → 0, 1, 1.58, 2, ... (log2(1 + n)): a second "thanks" says less than the first."""
    return math.log2(1.0 + n)


@dataclass(frozen=True)
class _Parsed:
    """One text, split the ways the cues need it (done once per text, shared by every cue)."""

    raw: str  # as written: case and punctuation matter for shouting, "!!", emoticons
    low: str  # lowercased, curly apostrophes straightened
    words: list[str]
    heads: list[str]  # first four words of each sentence
    first_word: str  # of the whole text

    @classmethod
    def of(cls, text: str) -> "_Parsed":
        low = text.lower().replace("\u2019", "'").replace("\u2018", "'")
        sentences = [s for s in _SENTENCE.findall(low) if _WORD.search(s)]
        heads = [" ".join(_WORD.findall(s)[:4]) for s in sentences]
        return cls(raw=text, low=low, words=_WORD.findall(low), heads=heads,
                   first_word=heads[0].split(" ", 1)[0] if heads else "")


Cue = Callable[[_Parsed], float]


def _word_share(lexicon: frozenset[str]) -> Cue:
    return lambda p: _squash(sum(1 for w in p.words if w in lexicon))


def _phrase_count(pattern: re.Pattern[str]) -> Cue:
    return lambda p: _squash(_count(pattern, p.low))


def _at_start(pattern: re.Pattern[str]) -> Cue:
    """Sentences opening with the pattern. Any sentence, not just the first: a request often
    opens with a greeting or some context ("Hi! Could you ...", "I saw the diff. Why ...")."""
    return lambda p: _squash(sum(1 for h in p.heads if pattern.match(h)))


def _any_sentence_starts(lexicon: frozenset[str]) -> Cue:
    return lambda p: _squash(sum(1 for h in p.heads if h.split(" ", 1)[0] in lexicon))


def _first_word_in(lexicon: frozenset[str]) -> Cue:
    return lambda p: 1.0 if p.first_word in lexicon else 0.0


def _caps_words(p: _Parsed) -> float:
    # Acronyms that are not shouting; any other all-caps word of 2+ letters counts.
    caps = [w for w in re.findall(r"[A-Za-z]{2,}", p.raw) if w.isupper() and w not in _ACRONYMS]
    return _squash(len(caps))


_ACRONYMS = frozenset({"OK", "AM", "PM", "TV", "US", "UK", "EU", "ID", "PDF", "URL", "FAQ", "IT", "API", "CEO"})


def _shouting(p: _Parsed) -> float:
    letters = [c for c in p.raw if c.isalpha()]
    if len(letters) < 8:
        return 0.0
    return 1.0 if sum(c.isupper() for c in letters) / len(letters) > 0.6 else 0.0


def _ends_with_question(p: _Parsed) -> float:
    return 1.0 if p.raw.rstrip().endswith("?") else 0.0


def _repeated_punctuation(p: _Parsed) -> float:
    return _squash(len(re.findall(r"[!?]{2,}", p.raw)))


def _log_words(p: _Parsed) -> float:
    return math.log1p(len(p.words)) / math.log(64.0)  # 0 words → 0, ~63 words → 1


def _log_sentences(p: _Parsed) -> float:
    return _squash(len(p.heads))


def _please_late(p: _Parsed) -> float:
    """"please" inside a sentence: softening a request rather than opening a command."""
    opening = sum(1 for h in p.heads if PLEASE.match(h))
    return 1.0 if _count(PLEASE, p.low) > opening else 0.0


def _greeting(p: _Parsed) -> float:
    return max(_first_word_in(GREETING)(p), _phrase_count(GREETING_PHRASES)(p))


def _sentiment_balance(p: _Parsed) -> float:
    pos = sum(1 for w in p.words if w in POSITIVE)
    neg = sum(1 for w in p.words if w in NEGATIVE)
    return (pos - neg) / math.sqrt(1.0 + pos + neg)


# Every cue: (name, function of a parsed text → float). Values are roughly in [0, 2] so that one
# block weight fits them all; counts are squashed, lengths are on a log scale.
_CUES: list[tuple[str, Cue]] = [
    ("gratitude", _phrase_count(GRATITUDE)),
    ("please", _phrase_count(PLEASE)),
    ("please_start", _at_start(PLEASE)),
    ("please_late", _please_late),
    ("apology", _phrase_count(APOLOGY)),
    ("greeting", _greeting),
    ("hedge", _phrase_count(HEDGES)),
    ("counterfactual", _phrase_count(COUNTERFACTUAL)),
    ("counterfactual_start", _at_start(COUNTERFACTUAL)),
    ("indicative", _phrase_count(INDICATIVE)),
    ("indicative_start", _at_start(INDICATIVE)),
    ("conditional", _phrase_count(CONDITIONAL)),
    ("deference", _phrase_count(DEFERENCE)),
    ("deference_start", _at_start(DEFERENCE)),
    ("gratitude_start", _at_start(GRATITUDE)),
    ("apology_start", _at_start(APOLOGY)),
    ("indirect", _phrase_count(INDIRECT)),
    ("factuality", _phrase_count(FACTUALITY)),
    ("obligation", _phrase_count(OBLIGATION)),
    ("negation", _word_share(NEGATIONS)),
    ("negative", _word_share(NEGATIVE)),
    ("positive", _word_share(POSITIVE)),
    ("sentiment", _sentiment_balance),
    ("first_singular", _word_share(FIRST_SINGULAR)),
    ("first_plural", _word_share(FIRST_PLURAL)),
    ("second_person", _word_share(SECOND)),
    ("first_person_start", _any_sentence_starts(FIRST_SINGULAR | FIRST_PLURAL)),
    # "You ..." opening a sentence tends to accuse; it points at the reader.
    ("second_person_start", _any_sentence_starts(SECOND)),
    ("question_word_start", _any_sentence_starts(QUESTION_WORDS)),
    ("why", _word_share(frozenset({"why"}))),
    ("why_start", _any_sentence_starts(frozenset({"why"}))),
    # "So ...", "But ...", "Look, ..." opening the request itself (not a later sentence).
    ("direct_start", _first_word_in(DIRECT_STARTS)),
    ("imperative_start", _any_sentence_starts(IMPERATIVE_STARTS)),
    ("question_marks", lambda p: _squash(p.raw.count("?"))),
    ("ends_with_question", _ends_with_question),
    ("exclamations", lambda p: _squash(p.raw.count("!"))),
    ("repeated_punctuation", _repeated_punctuation),
    ("caps_words", _caps_words),
    ("shouting", _shouting),
    ("emoticon", lambda p: _squash(len(EMOTICON.findall(p.raw)))),
    ("words", _log_words),
    ("sentences", _log_sentences),
]

CUE_NAMES: tuple[str, ...] = tuple(name for name, _ in _CUES)


def text_cues(text: str) -> dict[str, float]:
    """The cues of one text by name: for reading and testing; models use :func:`cue_matrix`."""
    parsed = _Parsed.of(str(text))
    return {name: float(fn(parsed)) for name, fn in _CUES}


def cue_matrix(texts: Sequence[str]) -> np.ndarray:
    """Cues of ``texts``, one row per text, columns in :data:`CUE_NAMES` order (unweighted).

    The rows are scaled by a constant so that a typical request's row has a norm near 1, like the
    L2-normalised TF-IDF blocks: a block weight then means the same for cues as for the others.
    """
    out = np.zeros((len(texts), len(_CUES)), dtype=np.float32)
    for i, text in enumerate(texts):
        parsed = _Parsed.of(str(text))
        out[i] = [fn(parsed) for _, fn in _CUES]
    return out * np.float32(_ROW_SCALE)


# About 8 cues fire on a typical two-sentence request, with values near 1: 1/sqrt(8).
_ROW_SCALE = 1.0 / math.sqrt(8.0)
