"""The model's categories, spelled once: options, provider types, management modes, client groups,
age bands, deprivation quintiles and the breakdown cell.

Every other module names these codes instead of writing bare numbers. The values are the integers
stored in the state tables (:mod:`model.core.state`) and read by the compiled passes (numba treats
module-level integers as constants). Imports nothing.
"""

from __future__ import annotations

# ------------------------------------------------------------------ SDS options (``People.option``)
NO_PACKAGE = 0  #: no care package (not eligible, or not yet assessed)
OPTION_1, OPTION_2, OPTION_3, OPTION_4 = 1, 2, 3, 4  #: direct payment, ISF, council-arranged, a mix
OPTION_CODES = (OPTION_1, OPTION_2, OPTION_3, OPTION_4)
OPTIONS = ("option1", "option2", "option3", "option4")  #: names, in code order from Option 1
N_OPTIONS = len(OPTIONS)
N_OPTION_CODES = N_OPTIONS + 1  #: with NO_PACKAGE, for tables indexed by the option code

# ------------------------------------------------------------------ provider types (``Providers.ptype``)
DAY_CENTRE, AGENCY, PERSONAL_ASSISTANT, COMMUNITY_GROUP = 0, 1, 2, 3
PROVIDER_TYPES = ("day_centre", "agency", "personal_assistant", "community_group")
#: How each provider type reads for people (pages, summaries, figures).
PROVIDER_TYPE_LABELS = {"day_centre": "Day centres", "agency": "Home-care agencies",
                        "personal_assistant": "Personal assistants", "community_group": "Community groups"}
N_TYPES = len(PROVIDER_TYPES)
NO_PROVIDER = -1  #: an empty budget slot (``People.provider``)
N_SLOTS = 2  #: provider links a package holds (Option 4 has two: council-arranged and direct)

# ------------------------------------------------------------------ management modes of a budget slot
#: who holds the money and who chooses the provider
MODE_NONE, MODE_COUNCIL, MODE_ISF, MODE_DIRECT = 0, 1, 2, 3
N_MODES = 4

# ------------------------------------------------------------------ what prompts a choice at review (ODD 7.4)
#: A person holding an option they chose keeps it at a review unless one of these prompts them to
#: reconsider; the first that applies, in this order, is the one recorded (``Ledger.changes_by_prompt``).
NO_PROMPT, PROMPT_CARER, PROMPT_NEED, PROMPT_DISSATISFIED, PROMPT_NEWS = 0, 1, 2, 3, 4
PROMPTS = ("unprompted", "carer_breakdown", "need_change", "dissatisfaction", "information")
N_PROMPTS = len(PROMPTS)
NEVER = -32768  #: a month that has not come (``People.chose_at``, ``People.moved_at``: never chose, never moved)

# ------------------------------------------------------------------ quality of life (ODD 7.8)
#: ASCOT's eight domains of social-care-related quality of life, in the order of its questionnaire;
#: each scores 0 (high needs) to 3 (ideal state) and their sum (0-24) is the SCRQoL score.
DOMAINS = ("control", "personal_care", "food_and_drink", "accommodation", "safety", "social_participation",
           "occupation", "dignity")
N_DOMAINS = len(DOMAINS)
DOMAIN_TOP = 3.0  #: a domain's score in ASCOT's ideal state
CARER_QOL_TOP = 12.0  #: most points of carer-reported quality of life (six items of 0-2, ASCOF 1D)

# ------------------------------------------------------------------ people's attributes
GROUPS = ("older", "physical_disability", "learning_disability", "mental_health")
AGE_BANDS = ("18-39", "40-64", "65-79", "80+")
FIRST_65_BAND = 2  #: the first age band of people aged 65 and over
QUINTILES = ("Q1", "Q2", "Q3", "Q4", "Q5")  #: Q1 = most deprived
N_GROUPS, N_AGE_BANDS, N_QUINTILES = len(GROUPS), len(AGE_BANDS), len(QUINTILES)

# ------------------------------------------------------------------ the breakdown cell
#: A person's cell is (council, group, age band, quintile) flattened in this order.
CELL_SHAPE = (N_GROUPS, N_AGE_BANDS, N_QUINTILES)
CELLS_PER_COUNCIL = N_GROUPS * N_AGE_BANDS * N_QUINTILES


def cell_of(council: int, group: int, age_band: int, quintile: int) -> int:
    """The flat breakdown cell of a person (works on scalars and on integer arrays)."""
    return ((council * N_GROUPS + group) * N_AGE_BANDS + age_band) * N_QUINTILES + quintile
