"""Option choice (ODD 7.4): a random-utility (multinomial logit) rule over SDS Options 1-4.

Utility of option j for a person:
    beta_control * control_j
  - beta_burden  * burden_j * (1 - confidence) * share left after help (support, a caring carer,
                   a managed account for a direct payment)
  + beta_peer    * peer signal_j  (satisfied minus dissatisfied peers on j, per peer)
  + inertia      * [j is the current option]
  + constant_j + age-65+ constant_j + client-group constant (Option 1 only)
  + the council's presentation shift_j (at a first choice only)
Options the council does not offer get zero probability. The seeds: direct payments need
"self-confidence, information, peer and professional advice"; older people chose Option 3 far more.

A review is a decision to keep or change (``choice.review_mode = "keep_unless_prompted"``): a
person first offered the choice, or without a package, chooses; one holding an option they chose
keeps it unless something prompts them to reconsider (:func:`prompt`): their carer, caring when
they last chose, has broken down; their need has moved by more than ``prompt_need_change`` since
then; they are dissatisfied; or new information reached them (a peer changed option or took a
direct payment since, or advice and brokerage reached them at this review). A prompted person
chooses by the logit above, which may return the option they hold. ``"fresh_choice"`` is the
older rule: everyone reviewed chooses afresh.
"""

from __future__ import annotations

import math

import numpy as np

from model import stream
from model.codes import (
    NEVER,
    NO_PACKAGE,
    NO_PROMPT,
    OPTION_1,
    OPTION_2,
    OPTION_3,
    OPTION_4,
    PROMPT_CARER,
    PROMPT_DISSATISFIED,
    PROMPT_NEED,
    PROMPT_NEWS,
)
from model.rules.arith import where
from model.scenario import Choice

#: What a peer shows at a review when their slot is empty or they have left: no package, no
#: satisfaction, never moved (``People.option``, ``satisfaction``, ``moved_at``).
ABSENT_PEER = (NO_PACKAGE, 0.0, NEVER)


def management_help(supported: np.ndarray | bool, reduction: np.ndarray | float, caring: np.ndarray | bool,
                    carer_help: float, account: np.ndarray | float) -> np.ndarray:
    """Share of an option's burden left after the help a person has managing it (ODD 7.4): advice
    and brokerage take off ``reduction`` (the council's ``support.burden_reduction``) when the person
    is ``supported``; an unpaid carer who is ``caring`` takes off ``carer_help``
    (``choice.carer_management_help``); a managed account takes off ``account`` (the council's
    ``support.managed_account``, for an option with a direct payment; 0 for the others). Each acts
    on what the others leave."""
    return (1.0 - reduction * supported) * (1.0 - carer_help * caring) * (1.0 - account)


def felt_burden(option_burden: np.ndarray | float, confidence: np.ndarray | float,
                left: np.ndarray | float) -> np.ndarray:
    """Burden a person feels: the option's burden, scaled by lack of confidence and by the share
    ``left`` after the help they have (:func:`management_help`)."""
    return option_burden * (1.0 - confidence) * left


def direct(j: int) -> bool:
    """Whether Option ``j`` pays (part of) the budget as a direct payment (Options 1 and 4)."""
    return j in (OPTION_1, OPTION_4)


def utility(j: int, confidence: np.ndarray | float, over65: np.ndarray | bool, group: np.ndarray | int,
            current: np.ndarray | int, peer_signal: np.ndarray | float, available: np.ndarray | bool,
            left: np.ndarray | float, left_direct: np.ndarray | float, shift: np.ndarray | float,
            ch: Choice) -> np.ndarray:
    """Utility of Option ``j`` (1-4) by the formula above, with the share of burden ``left`` after
    help (:func:`management_help`; ``left_direct`` for an option with a direct payment, a managed
    account included) and the council's presentation ``shift``; -inf if the council does not offer it."""
    i = j - 1
    u = (ch.beta_control * ch.control[i]
         - ch.beta_burden * felt_burden(ch.burden[i], confidence, where(direct(j), left_direct, left))
         + ch.beta_peer * peer_signal + ch.inertia * (current == j) + ch.asc[i] + ch.asc_over65[i] * over65
         + (j == 1) * np.asarray(ch.asc_group)[group] + shift)
    return where(available, u, -np.inf)


def held(option: int, confidence: float, supported: bool, reduction: float, caring: bool, account: float,
         ch: Choice) -> tuple[float, float]:
    """Control and felt burden (:func:`felt_burden`, after the help of :func:`management_help`) of
    the option a person holds; none without a package. Stored when the option or support changes
    (ODD 7.4, 7.8)."""
    if option > 0:
        left = management_help(supported, reduction, caring, ch.carer_management_help, account * direct(option))
        return ch.control[option - 1], felt_burden(ch.burden[option - 1], confidence, left)
    return 0.0, 0.0


def peer_signal(peer_option: np.ndarray, peer_satisfaction: np.ndarray,
                switch_satisfaction: float) -> tuple[float, float, float, float]:
    """One person's peer signal on Options 1-4 from their k peer slots: ``peer_option`` is each
    slot's peer's option (0 for an empty slot, a peer who has left or one without a package) and
    ``peer_satisfaction`` its satisfaction. A peer with a package adds 1 / k to its option if its
    satisfaction is at least ``switch_satisfaction`` and takes 1 / k off otherwise, in slot order."""
    per_peer = 1.0 / max(1, len(peer_option))
    s1 = s2 = s3 = s4 = 0.0
    for j in range(len(peer_option)):
        score = per_peer if peer_satisfaction[j] >= switch_satisfaction else -per_peer
        o = peer_option[j]
        if o == OPTION_1:
            s1 += score
        elif o == OPTION_2:
            s2 += score
        elif o == OPTION_3:
            s3 += score
        elif o == OPTION_4:
            s4 += score
    return s1, s2, s3, s4


def choose_option(confidence: float, over65: bool, group: int, supported: bool, caring: bool, current: int,
                  signal: tuple[float, float, float, float], available: np.ndarray | tuple, reduction: float,
                  account: float, presentation: np.ndarray | tuple, first: bool, ch: Choice,
                  words: tuple) -> tuple[int, tuple]:
    """One person's option choice (ODD 7.4): the utilities of Options 1-4 (:func:`utility`; the
    ``signal`` of :func:`peer_signal`, ``available`` the options the council offers, the help the
    person has managing a budget, :func:`management_help`, and at a ``first`` choice the council's
    ``presentation`` shifts) and a logit draw (:func:`logit_draw`) with a uniform from the stream
    ``words``. Returns (option, the stream's next words)."""
    left = management_help(supported, reduction, caring, ch.carer_management_help, 0.0)
    left_direct = management_help(supported, reduction, caring, ch.carer_management_help, account)
    util = (utility(OPTION_1, confidence, over65, group, current, signal[0], available[0], left, left_direct,
                    presentation[0] * first, ch),
            utility(OPTION_2, confidence, over65, group, current, signal[1], available[1], left, left_direct,
                    presentation[1] * first, ch),
            utility(OPTION_3, confidence, over65, group, current, signal[2], available[2], left, left_direct,
                    presentation[2] * first, ch),
            utility(OPTION_4, confidence, over65, group, current, signal[3], available[3], left, left_direct,
                    presentation[3] * first, ch))
    u, words = stream.next_uniform(words)
    return logit_draw(util, u), words


def decide(option: int, chose_at: int, why: int, fresh: bool, confidence: float, over65: bool, group: int,
           supported: bool, caring: bool, signal: tuple[float, float, float, float], available: np.ndarray | tuple,
           reduction: float, account: float, presentation: np.ndarray | tuple, ch: Choice,
           words: tuple) -> tuple[int, bool, tuple]:
    """One person's decision at review (ODD 7.4): they keep the ``option`` they hold, drawing
    nothing, unless they reconsider (:func:`reconsiders`, with the prompt ``why``); then they
    choose (:func:`choose_option`, which may return the option held; the council's
    ``presentation`` applies at a first choice, :func:`first_choice`). Returns (option, whether they
    chose, the stream's next words)."""
    if not reconsiders(option, chose_at, why, fresh):
        return option, False, words
    chosen, words = choose_option(confidence, over65, group, supported, caring, option, signal, available, reduction,
                                  account, presentation, first_choice(option, chose_at), ch, words)
    return chosen, True, words


def review_decision(peer_option: np.ndarray | list, peer_satisfaction: np.ndarray | list, peer_moved: np.ndarray | list,
                    option: int, chose_at: int, satisfaction: float, need: float, chose_need: float,
                    chose_carer: bool, carer_hours: float, supported: bool, confidence: float, over65: bool,
                    group: int, fresh: bool, available: np.ndarray | tuple, reduction: float, account: float,
                    presentation: np.ndarray | tuple, ch: Choice, words: tuple) -> tuple[int, int, bool, tuple]:
    """One person's decision at review (ODD 7.4) given what their peers show (``peer_option``,
    ``peer_satisfaction``, ``peer_moved``, one of each per peer; :data:`ABSENT_PEER` for an empty
    slot or a peer who has left): the peers' signal (:func:`peer_signal`) and news
    (:func:`peer_news`), what prompts the person (:func:`prompt`), then their decision
    (:func:`decide`, every review a choice when ``fresh``), with the council's ``available``
    options, support ``reduction``, managed ``account`` and ``presentation`` shifts, drawing from
    the stream ``words``. Returns (option, what prompted them, whether they chose, the stream's
    next words)."""
    signal = peer_signal(peer_option, peer_satisfaction, ch.switch_satisfaction)
    news = peer_news(peer_moved, peer_option, option, chose_at)
    why = prompt(satisfaction, need, chose_need, chose_carer, carer_hours, news, supported, ch)
    chosen, chose, words = decide(option, chose_at, why, fresh, confidence, over65, group, supported, carer_hours > 0,
                                  signal, available, reduction, account, presentation, ch, words)
    return chosen, why, chose, words


def fresh_choice(ch: Choice) -> bool:
    """Whether every review is a fresh choice (``review_mode = "fresh_choice"``) rather than a
    decision to keep or change."""
    return ch.review_mode == "fresh_choice"


def peer_news(peer_moved: np.ndarray, peer_option: np.ndarray, option: int, chose_at: int) -> bool:
    """Whether a person holding ``option`` has news from their peers: one of them changed option or
    took a direct payment (``peer_moved``: the month each peer last did, :data:`~model.codes.NEVER`
    for an empty slot or a peer who has left) in or after the month ``chose_at`` the person last
    chose, and now holds another option than theirs (``peer_option``: news of an alternative; a
    peer who moved to the person's own option gives them no reason to reconsider)."""
    news = False
    for j in range(len(peer_moved)):  # a loop, not any(): compiled code has no generators
        news = news or (peer_moved[j] != NEVER and peer_moved[j] >= chose_at and peer_option[j] != option)
    return news


def prompt(satisfaction: float, need: float, chose_need: float, chose_carer: bool, carer_hours: float, news: bool,
           supported: bool, ch: Choice) -> int:
    """What prompts a person holding an option to reconsider it at review (ODD 7.4), the first that
    applies in this order (:data:`~model.codes.NO_PROMPT` if none): their carer, caring when they
    last chose (``chose_carer``), gives no hours now (a breakdown; ``prompt_carer_breakdown``);
    their ``need`` has moved by more than ``prompt_need_change`` points from ``chose_need``; their
    ``satisfaction`` is below ``prompt_satisfaction``; new information (``prompt_information``):
    peer ``news`` (:func:`peer_news`) or advice and brokerage reached them (``supported``)."""
    if ch.prompt_carer_breakdown and chose_carer and carer_hours <= 0:
        return PROMPT_CARER
    if abs(float(need) - float(chose_need)) > ch.prompt_need_change:
        return PROMPT_NEED
    if satisfaction < ch.prompt_satisfaction:
        return PROMPT_DISSATISFIED
    if ch.prompt_information and (news or supported):
        return PROMPT_NEWS
    return NO_PROMPT


def first_choice(option: int, chose_at: int) -> bool:
    """Whether a person reviewed makes a first choice: they hold no package, or have not chosen
    since they were offered the choice (the Option 3 held before that was not chosen)."""
    return option == NO_PACKAGE or chose_at == NEVER


def reconsiders(option: int, chose_at: int, why: int, fresh: bool) -> bool:
    """Whether a person reviewed chooses (:func:`choose_option`) rather than keeping their option:
    a first choice (:func:`first_choice`), every review when ``fresh`` (:func:`fresh_choice`),
    otherwise only when prompted (``why``, :func:`prompt`)."""
    return first_choice(option, chose_at) or fresh or why != NO_PROMPT


def is_news(old: int, new: int) -> bool:
    """Whether a person's move from option ``old`` to ``new`` is news to those who count them as a
    peer: they changed option, or took a direct payment (Option 1 or 4) as their first package."""
    return new != old and (old != NO_PACKAGE or new in (OPTION_1, OPTION_4))


def remember(old: int, new: int, chose: bool, month: int, need: float, carer_hours: float, chose_at: int,
             chose_need: float, chose_carer: bool, moved_at: int) -> tuple[int, float, bool, int]:
    """What a person reviewed carries from this month's decision (``old`` option to ``new``): if
    they ``chose``, the month, their need and whether a carer was caring (the baseline of the next
    review's prompts, :func:`prompt`); if the move is news to peers (:func:`is_news`), its month.
    Returns (chose_at, chose_need, chose_carer, moved_at)."""
    if chose:
        chose_at, chose_need, chose_carer = month, need, carer_hours > 0
    if is_news(old, new):
        moved_at = month
    return chose_at, chose_need, chose_carer, moved_at


def take_decision(old: int, new: int, why: int, chose: bool, month: int, need: float, carer_hours: float,
                  chose_at: int, chose_need: float, chose_carer: bool,
                  moved_at: int) -> tuple[bool, bool, bool, int, float, bool, int]:
    """How a decision at review (from option ``old`` to ``new``, prompted by ``why``) counts and is
    remembered: a person who held an option they had chosen (not a first choice,
    :func:`first_choice`) is one of their council's option reviews, one of those prompted if
    something prompted them, and one of the changes under that prompt if they changed option; they
    remember the decision (:func:`remember`, whether they ``chose``, in ``month``). Returns (option
    review, prompted, changed, chose_at, chose_need, chose_carer, moved_at)."""
    counted = not first_choice(old, chose_at)
    chose_at, chose_need, chose_carer, moved_at = remember(old, new, chose, month, need, carer_hours, chose_at,
                                                           chose_need, chose_carer, moved_at)
    return (counted, counted and why != NO_PROMPT, counted and new != old, chose_at, chose_need, chose_carer,
            moved_at)


def take_option(held_option: int, option: int, confidence: float, supported: bool, reduction: float, caring: bool,
                account: float, ch: Choice) -> tuple[int, bool, float, float]:
    """The ``option`` a person reviewed takes (the one chosen, or council-arranged Option 3 for one
    not offered the choice) in place of the option held (``held_option``): a change ends their
    provider relationships and they seek providers for the new option; the control and felt burden
    of the option they now hold (:func:`held`). Returns (option, whether it changed, control, felt
    burden)."""
    control, burden = held(option, confidence, supported, reduction, caring, account, ch)
    return option, option != held_option, control, burden


def logit_draw(util: tuple[float, float, float, float] | np.ndarray, u: float) -> int:
    """Option 1-4 drawn from the logit probabilities over the four utilities ``util`` by inverse
    CDF with the uniform ``u``: with weights w_j = exp(util_j - max util), one plus the number of
    the first three cumulative weights at or below ``u`` x the total, so an option of utility -inf
    (probability 0) is never drawn. (Written out for four options: no array to allocate per
    chooser in compiled code.)"""
    top = max(max(util[0], util[1]), max(util[2], util[3]))
    w1, w2, w3 = math.exp(util[0] - top), math.exp(util[1] - top), math.exp(util[2] - top)
    cum2 = w1 + w2
    cum3 = cum2 + w3
    target = u * (cum3 + math.exp(util[3] - top))
    return 1 + (w1 <= target) + (cum2 <= target) + (cum3 <= target)


def voice(option: int, satisfaction: float, low_sat: int, offered: bool, review_in: int,
          ch: Choice) -> tuple[int, bool, int]:
    """Voice (ODD 7.8): a person with a package whose satisfaction is under ``switch_satisfaction``
    has one more month of low satisfaction; after ``switch_after_months`` of them they switch
    provider (the count starts again): their provider relationships end, they seek providers
    again, and one ``offered`` the choice is reviewed next month (their review countdown
    ``review_in`` is 0). Returns (months of low satisfaction, whether they switch, the review
    countdown)."""
    if option > 0 and satisfaction < ch.switch_satisfaction:
        low = low_sat + 1
        if low >= ch.switch_after_months:
            return 0, True, 0 if offered else review_in
        return low, False, review_in
    return 0, False, review_in
