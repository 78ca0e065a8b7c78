"""Generate the bundled SYNTHETIC waves of the UN.GIFT partner survey.

The real answers are not public, so giftreview ships two invented waves that look like a real
survey export, mess included::

    data/raw/ungift_2010.csv   ~120 organizations, cp1252, semicolon-delimited, CRLF
    data/raw/ungift_2012.csv   ~140 organizations, UTF-8 with BOM, comma-delimited, LF
    data/raw/synthetic_truth/<wave>_themes.csv        respondent_id, question, theme
    data/raw/synthetic_truth/<wave>_institutions.csv  respondent_id, question, institution

About a third of the organizations answer both waves with the same ``respondent_id`` and name.
Ratings depend on the sector (NGOs and UN rate UN.GIFT higher than the private sector) and shift
up a little between waves. Open answers are assembled from a phrase bank keyed by the theme ids of
the codebooks in ``instruments/codebooks/`` (themes drawn with weights following the seed's
quantifiers: "Many respondents" common, "Some" medium, "Other respondents"/"A few" rarer); the
ground truth is written beside the data so coding accuracy can be measured. The ground truth
describes the row cleaning keeps (the latest submission of each id).

Deterministic: a fixed seed, Python's own ``random.Random`` (its sequence is stable across
Python versions), no set iteration, no timestamps. Run ``make data`` or::

    python scripts/generate_synthetic.py [--out DIR]

and the same bytes come out every time (tests/test_generate.py checks this and the sha256 sums
in data/raw/README.md).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

SEED = 20100301
N_2010 = 120
N_2012 = 140
N_BOTH = 65  # 120 + 140 - 65 = 195 organizations; 65/195 = one third answer both waves

RAW_COLUMNS = [
    "respondent_id",
    "organization",
    "submitted",
    "sector",
    "trafficking_importance",
    "hq_staff",
    "ungift_importance",
    "added_value",
    "impact",
    "steps_ungift",
    "steps_organization",
    "topics",
    "topics_other",
    "regional_measures",
    "other_fora",
    "partner_institutions",
]
OPEN_COLUMNS = {
    "B2": "added_value",
    "B3": "impact",
    "B4": "steps_ungift",
    "B5": "steps_organization",
    "B7": "regional_measures",
}

# ---- sectors ------------------------------------------------------------------------------------
SECTOR_SHARE = [
    ("gov", 0.30),
    ("un", 0.15),
    ("igo", 0.12),
    ("ngo", 0.28),
    ("private", 0.07),
    ("academia", 0.06),
    ("other", 0.02),
]
SECTOR_SPELLINGS = {
    "gov": ["Governments", "Government", "Govt", "Gov.", "Member State", "Ministry", "GOVERNMENT"],
    "un": [
        "United Nations system",
        "UN system",
        "UN",
        "United Nations",
        "UN agency",
        "U.N. system",
    ],
    "igo": [
        "Other international and regional organizations",
        "International organization",
        "Regional organization",
        "IGO",
        "Intergovernmental organization",
    ],
    "ngo": [
        "Civil society / NGOs",
        "NGO",
        "Civil society",
        "CSO",
        "ngos",
        "civil society organization",
    ],
    "private": ["Private sector", "Business", "Company", "private", "Corporate"],
    "academia": ["Academia and research", "Academia", "University", "Research institute"],
    "other": ["Other", "others", "Other (specify)"],
}
# mean of the latent B1 rating (1-5) per sector; 2012 adds WAVE_SHIFT
B1_MEAN = {
    "gov": 3.7,
    "un": 4.3,
    "igo": 3.8,
    "ngo": 4.2,
    "private": 3.0,
    "academia": 3.5,
    "other": 3.4,
}
A2_MEAN = {
    "gov": 4.2,
    "un": 4.4,
    "igo": 4.0,
    "ngo": 4.6,
    "private": 3.3,
    "academia": 3.9,
    "other": 3.6,
}
WAVE_SHIFT = {"2010": 0.0, "2012": 0.35}
STAFF_MEAN = {"gov": 6, "un": 8, "igo": 5, "ngo": 3, "private": 1, "academia": 2, "other": 1}

SCALE_SPELLINGS = {
    1: ["Not at all important", "not important", "Unimportant", "1"],
    2: ["Slightly important", "of little importance", "Low importance", "2"],
    3: ["Moderately important", "moderate", "Somewhat important", "3"],
    4: ["Important", "fairly important", "Quite important", "4", "IMPORTANT"],
    5: ["Very important", "extremely important", "Essential", "very imp.", "5", "VERY IMPORTANT"],
}
MISSING_SPELLINGS = ["Don't know", "dont know", "DK", "N/A", "n/a", "not applicable"]
NUMBER_WORDS = {0: "none", 1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 10: "ten"}

# ---- organizations ------------------------------------------------------------------------------
COUNTRIES = [
    ("Europe", "France"),
    ("Europe", "Belgique"),
    ("Europe", "Österreich"),
    ("Europe", "España"),
    ("Europe", "Italia"),
    ("Europe", "Sverige"),
    ("Europe", "Deutschland"),
    ("Europe", "Moldova"),
    ("Europe", "România"),
    ("Europe", "Ukraine"),
    ("Europe", "Nederland"),
    ("Europe", "Portugal"),
    ("Asia", "Thailand"),
    ("Asia", "Nepal"),
    ("Asia", "Philippines"),
    ("Asia", "Cambodia"),
    ("Asia", "Indonesia"),
    ("Asia", "Bangladesh"),
    ("Asia", "India"),
    ("Asia", "Viet Nam"),
    ("Americas", "México"),
    ("Americas", "Perú"),
    ("Americas", "Brasil"),
    ("Americas", "Colombia"),
    ("Americas", "Canada"),
    ("Americas", "United States"),
    ("Americas", "Guatemala"),
    ("Africa", "Nigeria"),
    ("Africa", "Côte d'Ivoire"),
    ("Africa", "Sénégal"),
    ("Africa", "Kenya"),
    ("Africa", "South Africa"),
    ("Africa", "Egypt"),
    ("Africa", "Bénin"),
]
ORG_TEMPLATES = {
    "gov": [
        "Ministère de la Justice ({c})",
        "Ministerio del Interior ({c})",
        "Ministry of Home Affairs ({c})",
        "National Anti-Trafficking Commission ({c})",
        "Ministry of Labour and Social Affairs ({c})",
        "Ministério da Justiça ({c})",
        "Office of the National Rapporteur ({c})",
        "Ministry of Foreign Affairs ({c})",
        "Police nationale – Brigade des mineurs ({c})",
    ],
    "un": [
        "UNODC Country Office {c}",
        "IOM Mission in {c}",
        "ILO Office for {c}",
        "UNICEF {c}",
        "UNDP {c}",
        "UNHCR Representation in {c}",
        "UNFPA {c}",
        "OHCHR Regional Office ({c})",
    ],
    "igo": [
        "OSCE Mission ({c})",
        "Council of Europe Programme Office ({c})",
        "ICMPD Office ({c})",
        "African Union Liaison Office ({c})",
        "Organización de los Estados Americanos ({c})",
        "ASEAN Secretariat Unit ({c})",
    ],
    "ngo": [
        "La Strada {c}",
        "Fundação Esperança – São Paulo",
        "Organización Mujeres Libres ({c})",
        "Terre des hommes ({c})",
        "Caritas {c}",
        "Association pour la Défense des Victimes ({c})",
        "Anti-Trafficking Network {c}",
        "Safe Migration Initiative ({c})",
        "Shelter for Hope ({c})",
        "Asociación Rompiendo Cadenas ({c})",
        "Stop Exploitation Now ({c})",
        "Comité Contre l'Esclavage ({c})",
    ],
    "private": [
        "Global Hotels Group ({c})",
        "Textile Exporters Association ({c})",
        "Travel & Tourism Co. ({c})",
        "Fair Supply Chains Ltd ({c})",
        "Airline Alliance Foundation ({c})",
    ],
    "academia": [
        "Université de Genève – Institut des Droits ({c})",
        "Centre for Migration Studies ({c})",
        "Universidad Nacional – Instituto de Criminología ({c})",
        "Institute for Human Rights Research ({c})",
    ],
    "other": [
        "Media Against Trafficking ({c})",
        "Faith-based Coalition ({c})",
        "Trade Union Federation ({c})",
    ],
}

# ---- open answers: phrase bank keyed by codebook theme id ---------------------------------------
# weights follow the seed's quantifiers: "Many" 10, "Respondents also/mentioned" 4, "Some" 3,
# "Other respondents"/"A few" 1.5
THEMES: dict[str, dict[str, tuple[float, list[str]]]] = {
    "B2": {
        "bringing_together": (
            10,
            [
                "UN.GIFT brings different stakeholders together: Governments, UN agencies, regional bodies, civil society and the private sector.",
                "Its main value is bringing all actors around one table, from ministries to NGOs and companies.",
                "It convenes governments, international organizations and civil society that would otherwise not meet.",
                "The initiative brings together a wide range of stakeholders working against trafficking.",
            ],
        ),
        "coordination": (
            4,
            [
                "It helps coordinate the anti-trafficking efforts of many actors.",
                "Better coordination between agencies is the key added value for us.",
                "UN.GIFT improves the coordination of our work with other organizations.",
            ],
        ),
        "information_exchange": (
            4,
            [
                "We value the exchange of information and good practices.",
                "It facilitates information sharing between partners.",
                "The exchange of information with other organizations is very useful for our staff.",
            ],
        ),
        "partnerships": (
            4,
            [
                "UN.GIFT has helped us build partnerships with other organizations.",
                "The partnerships forged through UN.GIFT are its main added value.",
                "It allowed us to establish new partnerships in the field.",
            ],
        ),
        "networks_access": (
            3,
            [
                "It gives us access to global and local networks we could not reach alone.",
                "Through UN.GIFT we gained access to international networks of experts.",
                "Being part of the UN.GIFT network opened doors to local and global contacts.",
            ],
        ),
        "central_reference": (
            3,
            [
                "UN.GIFT serves as a central reference point for information and data on human trafficking.",
                "It is a one-stop source of reliable information on trafficking in persons.",
                "We use the UN.GIFT hub as our main reference for data and information.",
            ],
        ),
        "global_report": (
            3,
            [
                "The Global Report on Trafficking in Persons (2009) and the data collection in 155 countries are invaluable.",
                "The data collection exercise behind the Global Report gave us country data we use every day.",
                "We rely on the Global Report for our policy work.",
            ],
        ),
        "awareness": (
            4,
            [
                "It raises awareness on human trafficking through advocacy.",
                "Awareness raising and advocacy at the international level are its strength.",
                "UN.GIFT makes the public more aware of trafficking.",
            ],
        ),
        "grassroots_dissemination": (
            1.5,
            [
                "It disseminates information from local NGOs and grassroots campaigns to a wider audience.",
                "Our grassroots campaign reached a much wider audience thanks to UN.GIFT.",
                "It amplifies the voice of small local organizations.",
            ],
        ),
        "programmes_pilots": (
            1.5,
            [
                "UN.GIFT supported the development of a comprehensive anti-trafficking programme and pilot projects with technical advice.",
                "The pilot projects and technical support to Governments are very valuable.",
                "We benefited from technical assistance in designing a national programme.",
            ],
        ),
        "project_partnering": (
            1.5,
            [
                "UN.GIFT partnered with us in a specific victim support project.",
                "Partnering on concrete projects, such as victim support initiatives, was valuable.",
                "We implemented a joint project with UN.GIFT on assistance to victims.",
            ],
        ),
        "private_sector": (
            1.5,
            [
                "It contributes to greater private sector involvement in combating trafficking.",
                "UN.GIFT engaged businesses and companies in the fight against trafficking.",
                "The involvement of the private sector is a unique feature of UN.GIFT.",
            ],
        ),
    },
    "B3": {
        "leveraging_sectors": (
            3,
            [
                "UN.GIFT has leveraged various sectors to combat human trafficking.",
                "Its impact lies in mobilising different sectors against trafficking.",
                "It managed to involve sectors that were not engaged before.",
            ],
        ),
        "significant_fragmented": (
            3,
            [
                "The impact has been significant but fragmented.",
                "Significant impact, although fragmented across many small activities.",
                "Important results, but scattered and not always connected.",
            ],
        ),
        "diffuse_undefined": (
            3,
            [
                "The impact was diffuse in the initial phase; the core areas of work need to be better defined.",
                "Its focus is unclear and the impact diffuse; priorities should be defined.",
                "Impact is hard to see because the mandate is not well defined.",
            ],
        ),
        "awareness_advocacy": (
            4,
            [
                "It raised awareness and advocated against trafficking in high-level intergovernmental circles.",
                "Strong impact on awareness and advocacy, especially in countries where capacity is still weak.",
                "Advocacy by UN.GIFT put trafficking on the political agenda.",
            ],
        ),
        "global_report": (
            4,
            [
                "The Global Report on trafficking in persons and the country-level data shared with the international community.",
                "The UN.GIFT-led Global Report is its most visible impact.",
                "Sharing country data through the Global Report was very important.",
            ],
        ),
        "publications": (
            2,
            [
                "Its publications and reference documents are widely used.",
                "The toolkits and reference documents published by UN.GIFT are an important output.",
                "We use UN.GIFT publications in our training.",
            ],
        ),
        "pilot_results": (
            2,
            [
                "The pilot projects delivered direct assistance to victims.",
                "Results of pilot projects providing direct assistance to victims were visible.",
                "Pilot projects helped victims directly in several countries.",
            ],
        ),
        "seed_money": (
            2,
            [
                "The seed money for joint programmes in targeted countries made a difference.",
                "Seed funding allowed joint programmes to start in target countries.",
                "Small seed grants had a large catalytic effect.",
            ],
        ),
        "international_platform": (
            1.5,
            [
                "It offers an international platform that recognizes the voices of communities around the world.",
                "Grassroots organizations can contribute to international debates through the UN.GIFT platform.",
                "A global forum where community voices are heard and influence long-term policy.",
            ],
        ),
        "interagency_coordination": (
            3,
            [
                "It improved inter-agency coordination, even if joint initiatives are still limited in scope.",
                "Coordination among UN agencies has improved thanks to UN.GIFT.",
                "Better inter-agency cooperation, despite the pilot nature of the initiative.",
            ],
        ),
    },
    "B4": {
        "close_relationship": (
            10,
            [
                "We already have a close relationship with UN.GIFT built on trust and transparency; keep it up.",
                "Continue the close and effective cooperation we have now.",
                "Our relationship is based on trust and effectiveness and should continue as it is.",
            ],
        ),
        "early_engagement": (
            3,
            [
                "Engage us earlier, at the concept and programme development stage.",
                "UN.GIFT should involve partners from the design phase of programmes.",
                "Closer engagement in programme development from the start.",
            ],
        ),
        "communication": (
            3,
            [
                "Improve communication with partners.",
                "More regular communication and updates would help.",
                "Better and more frequent communication is needed.",
            ],
        ),
        "focal_points": (
            3,
            [
                "Assign specific focal points to facilitate cooperation.",
                "A dedicated focal point for our organization would help.",
                "Name a contact person for each partner.",
            ],
        ),
        "ngo_outreach": (
            3,
            [
                "Reach out more to NGOs and include them in joint programmes.",
                "UN.GIFT should improve its communication channels with NGOs.",
                "More outreach to non-governmental organizations is needed.",
            ],
        ),
        "civil_society_early": (
            2,
            [
                "Involve civil society early in project formulation and in the elaboration of reports.",
                "Civil society organizations should take part in drafting UN.GIFT reports.",
                "Consult civil society at the early stages of projects.",
            ],
        ),
        "local_ngo_access": (
            2,
            [
                "Facilitate access by local NGOs to international institutions and other stakeholders.",
                "Help local NGOs reach international donors and institutions.",
                "Local organizations need easier access to international bodies.",
            ],
        ),
        "regional_awareness": (
            1.5,
            [
                "Carry out more awareness raising activities in the United States and Asia.",
                "More awareness campaigns in Asia would be welcome.",
                "Expand awareness raising to North America and Asia.",
            ],
        ),
    },
    "B5": {
        "campaigns": (
            4,
            [
                "We can contribute to UN.GIFT campaigns and strategic activities at the global level.",
                "Our organization is ready to join UN.GIFT campaigns.",
                "We offer to take part in global campaigns.",
            ],
        ),
        "reports_expertise": (
            4,
            [
                "We can contribute to UN.GIFT reports with our in-house expertise.",
                "Our experts could contribute to UN.GIFT publications and reports.",
                "We can share our technical expertise for reports.",
            ],
        ),
        "action_plans": (
            2,
            [
                "We can support the development of national action plans.",
                "Our experience with national action plans could be shared.",
                "We could help countries draft national action plans.",
            ],
        ),
        "training": (
            2,
            [
                "We can provide training activities.",
                "Our staff could deliver training for practitioners.",
                "We offer training for law enforcement and social workers.",
            ],
        ),
        "data_victims": (
            2,
            [
                "We can collect data and information on victim assistance and protection.",
                "We could share data on victims we assist.",
                "Our data on victim protection could feed UN.GIFT research.",
            ],
        ),
        "referral": (
            1.5,
            [
                "We can support the transnational referral of victims of trafficking.",
                "Our shelters can help with cross-border referral of victims.",
                "We could take part in a transnational referral mechanism.",
            ],
        ),
        "private_sector_engagement": (
            2,
            [
                "Joint activities to engage the private sector and promote zero tolerance policies in business.",
                "We can help bring companies on board to adopt zero tolerance policies.",
                "Engaging businesses to raise awareness among their staff and suppliers.",
            ],
        ),
        "advocacy_programmes": (
            3,
            [
                "We can advocate for comprehensive programmes and pilot initiatives.",
                "Advocacy for joint programmes and pilot initiatives to build capacity.",
                "We will promote joint programmes as a means to build capacity.",
            ],
        ),
    },
    "B7": {
        "unique_un_initiative": (
            4,
            [
                "As a unique initiative within the UN family, UN.GIFT should ensure the strategic involvement of all UN agencies.",
                "Use its unique position in the UN system to involve the different agencies strategically.",
                "UN.GIFT is the only joint UN initiative and should coordinate UN anti-trafficking work.",
            ],
        ),
        "outside_partnerships": (
            3,
            [
                "Build partnerships with a wide array of actors outside the UN.",
                "Develop outside partnerships with more actors at the national level.",
                "Partner with more organizations beyond the UN family.",
            ],
        ),
        "conferences": (
            4,
            [
                "Host or promote more conferences where Governments and NGOs can interact.",
                "Organize regional conferences as a platform for dialogue.",
                "More conferences around the world would help.",
            ],
        ),
        "local_ngos": (
            4,
            [
                "Identify effective local NGOs and promote their work at community level.",
                "Support transparent and accountable local NGOs working on prevention and victim assistance.",
                "Promote the work of community-based organizations.",
            ],
        ),
        "campaigns_media": (
            2,
            [
                "Conduct campaigns in different countries and raise awareness among media, consumers and students.",
                "Work more with mainstream media to reach the public.",
                "National campaigns targeting consumers and students.",
            ],
        ),
        "communication_strategy": (
            2,
            [
                "Develop a systematic communication strategy with critical stakeholders to ensure national ownership.",
                "A communication strategy agreed with national partners is needed.",
                "Campaigns need a clear communication strategy owned locally.",
            ],
        ),
        "guidelines": (
            3,
            [
                "Continue to provide guidelines and reference materials for stakeholders.",
                "More practical guidelines and manuals would be useful.",
                "Publish reference materials and guidance for practitioners.",
            ],
        ),
        "seed_funding": (
            2,
            [
                "Provide seed funding for innovative programmes and projects on the ground.",
                "Seed grants for local projects would increase impact.",
                "Small grants to start innovative projects.",
            ],
        ),
    },
}
OFF_TOPIC = [
    "No comment at this stage.",
    "We have only recently started working with UN.GIFT.",
    "See our annual report.",
    "Our director will reply separately.",
    "Thank you for the survey.",
]
BLANK_SHARE = {"B2": 0.12, "B3": 0.18, "B4": 0.25, "B5": 0.28, "B7": 0.28}
OFF_TOPIC_SHARE = 0.03
# sector boosts: a theme mentioned more often by one sector
THEME_BOOST = {
    ("B2", "private_sector", "private"): 5.0,
    ("B4", "ngo_outreach", "ngo"): 2.5,
    ("B4", "local_ngo_access", "ngo"): 2.5,
    ("B4", "civil_society_early", "ngo"): 2.5,
    ("B5", "private_sector_engagement", "private"): 5.0,
    ("B7", "unique_un_initiative", "un"): 2.0,
}

# ---- B6 topics ----------------------------------------------------------------------------------
TOPICS = [
    ("prevention", 0.55, ["Prevention and awareness raising", "awareness raising", "Prevention"]),
    ("victims", 0.50, ["Victim protection and assistance", "victim assistance", "Victims"]),
    (
        "justice",
        0.35,
        ["Prosecution and criminal justice response", "criminal justice", "law enforcement"],
    ),
    ("data", 0.40, ["Data collection and research", "research", "data collection"]),
    (
        "labour",
        0.30,
        ["Forced labour and labour exploitation", "forced labor", "labour exploitation"],
    ),
    ("children", 0.30, ["Trafficking in children", "child trafficking", "children"]),
    ("private_sector", 0.15, ["Private sector and supply chains", "supply chains", "business"]),
    ("capacity", 0.35, ["Capacity building and training", "training", "capacity building"]),
    ("partnerships", 0.30, ["Partnerships and coordination", "coordination", "partnerships"]),
]
OTHER_TOPICS = [
    "Trafficking for organ removal",
    "Demand reduction",
    "Internal trafficking",
    "Online recruitment and the internet",
    "Return and reintegration of victims",
]

# ---- B8/B9 institutions (canonical key -> spellings) --------------------------------------------
INSTITUTIONS = {
    "UNODC": [
        "UNODC",
        "United Nations Office on Drugs and Crime",
        "UN Office on Drugs & Crime",
        "UNDOC",
        "unodc",
    ],
    "ICAT": [
        "ICAT",
        "Inter-Agency Coordination Group against Trafficking in Persons",
        "Inter-agency coordination group against trafficking (ICAT)",
    ],
    "OSCE": ["OSCE", "Organization for Security and Co-operation in Europe", "O.S.C.E."],
    "IOM": ["IOM", "International Organization for Migration", "OIM"],
    "ILO": ["ILO", "International Labour Organization", "International Labor Organisation", "OIT"],
    "OHCHR": [
        "OHCHR",
        "Office of the High Commissioner for Human Rights",
        "UN Human Rights Office",
    ],
    "UNICEF": ["UNICEF", "Unicef", "United Nations Children's Fund"],
    "Council of Europe": ["Council of Europe", "Council of Europe / GRETA", "GRETA", "CoE"],
    "Interpol": ["Interpol", "INTERPOL", "Interpoll"],
    "Europol": ["Europol", "EUROPOL"],
    "Bali Process": ["Bali Process", "the Bali Process", "Bali process on people smuggling"],
    "COMMIT": [
        "COMMIT",
        "COMMIT process",
        "Coordinated Mekong Ministerial Initiative against Trafficking",
    ],
    "ASEAN": ["ASEAN", "Association of Southeast Asian Nations"],
    "European Union": ["European Union", "EU", "European Commission"],
    "Alliance against Trafficking in Persons": [
        "Alliance against Trafficking in Persons",
        "OSCE Alliance",
        "Alliance Against Trafficking",
    ],
}
REGION_INSTITUTIONS = {
    "Europe": [
        "OSCE",
        "Council of Europe",
        "Europol",
        "European Union",
        "Alliance against Trafficking in Persons",
    ],
    "Asia": ["Bali Process", "COMMIT", "ASEAN"],
    "Americas": ["Interpol"],
    "Africa": ["Interpol"],
}
GLOBAL_INSTITUTIONS = ["UNODC", "IOM", "ILO", "ICAT", "OHCHR", "UNICEF", "Interpol"]
LOCAL_INSTITUTIONS = [
    "National Referral Mechanism",
    "Kathmandu Valley Anti-Trafficking Committee",
    "Mesa Interinstitucional contra la Trata",
    "Provincial Task Force",
    "Red Nacional de Albergues",
    "Comité national de coordination",
    "Border Police Academy",
]

EMAIL_PHONE = " Please contact our focal point at maria.lopez@example.org or +43 1 26060 4567."
SCRIPT = "<script>alert(1)</script> We appreciate the Global Report on Trafficking in Persons."
FORMULA = (
    '=HYPERLINK("http://example.com/ungift","see our report") Improve communication with partners.'
)


@dataclass
class Org:
    rid: str
    name: str
    sector: str
    region: str


@dataclass
class Record:
    org: Org | None
    submitted: datetime
    cells: dict[str, str]
    themes: list[tuple[str, str]] = field(default_factory=list)
    institutions: list[tuple[str, str]] = field(default_factory=list)


def _pick_weighted(rng: random.Random, items: list[tuple[str, float]]) -> str:
    return rng.choices([k for k, _ in items], weights=[w for _, w in items], k=1)[0]


def make_orgs(rng: random.Random, n: int) -> list[Org]:
    """``n`` organizations with stable ids ORG-0001.., unique names, sector and region."""
    orgs: list[Org] = []
    names: list[str] = []
    for i in range(1, n + 1):
        sector = _pick_weighted(rng, SECTOR_SHARE)
        while True:
            region, country = rng.choice(COUNTRIES)
            name = rng.choice(ORG_TEMPLATES[sector]).format(c=country)
            if name not in names:
                break
        names.append(name)
        orgs.append(Org(f"ORG-{i:04d}", name, sector, region))
    return orgs


def _messy(rng: random.Random, text: str) -> str:
    """Stray spaces and case, as typed by hand."""
    r = rng.random()
    if r < 0.10:
        return f"  {text} "
    if r < 0.16:
        return text.lower()
    if r < 0.20:
        return text.upper()
    return text


def rating(rng: random.Random, mean: float, missing_share: float = 0.06) -> str:
    if rng.random() < missing_share:
        return rng.choice(MISSING_SPELLINGS) if rng.random() < 0.7 else ""
    level = min(5, max(1, round(rng.gauss(mean, 0.85))))
    spelling = (
        SCALE_SPELLINGS[level][0] if rng.random() < 0.55 else rng.choice(SCALE_SPELLINGS[level])
    )
    return _messy(rng, spelling)


def staff(rng: random.Random, sector: str) -> str:
    r = rng.random()
    if r < 0.05:
        return rng.choice(["n/a", "N/A", "Don't know", ""])
    n = max(0, round(rng.expovariate(1 / STAFF_MEAN[sector]))) if rng.random() > 0.1 else 0
    r = rng.random()
    if n == 0:
        return rng.choice(["0", "none", "None", "0"])
    if r < 0.55:
        return str(n)
    if r < 0.65 and n >= 2:
        return f"{n - 1}-{n + 1}"
    if r < 0.75:
        return f"about {n}"
    if r < 0.85:
        return f"{n} staff"
    if n in NUMBER_WORDS:
        return NUMBER_WORDS[n]
    return f"approx. {n}"


def open_answer(rng: random.Random, qid: str, sector: str) -> tuple[str, list[str]]:
    """An answer to open question ``qid`` and the theme ids it expresses."""
    r = rng.random()
    if r < BLANK_SHARE[qid]:
        return "", []
    if r < BLANK_SHARE[qid] + OFF_TOPIC_SHARE:
        return rng.choice(OFF_TOPIC), []
    bank = THEMES[qid]
    weights = {t: w * THEME_BOOST.get((qid, t, sector), 1.0) for t, (w, _) in bank.items()}
    k = rng.choices([1, 2, 3], weights=[0.45, 0.4, 0.15], k=1)[0]
    chosen: list[str] = []
    while len(chosen) < k:
        pool = [(t, w) for t, w in weights.items() if t not in chosen]
        chosen.append(_pick_weighted(rng, pool))
    sentences = [rng.choice(bank[t][1]) for t in chosen]
    joiner = rng.choice([" ", " ", "  ", "\n", " Also, "])
    text = joiner.join(sentences)
    if rng.random() < 0.08:
        text = text.lower()
    if rng.random() < 0.1:
        text = " " + text + "  "
    return text, chosen


def topics(rng: random.Random) -> tuple[str, str]:
    if rng.random() < 0.06:
        return rng.choice(["", "Don't know"]), ""
    chosen = [rng.choice(spellings) for _, p, spellings in TOPICS if rng.random() < p]
    other = ""
    if rng.random() < 0.12:
        chosen.append(rng.choice(["Other", "other", "Other (specify)"]))
        other = rng.choice(OTHER_TOPICS)
    if not chosen:
        chosen = [TOPICS[0][2][0]]
    sep = rng.choice([";", "; ", " ; "])
    return sep.join(_messy(rng, c) if rng.random() < 0.3 else c for c in chosen), other


def institution_list(rng: random.Random, org: Org, partners: bool) -> tuple[str, list[str]]:
    if rng.random() < 0.15:
        return "", []
    pool = GLOBAL_INSTITUTIONS + REGION_INSTITUTIONS.get(org.region, []) * 2
    k = rng.randint(1, 5 if partners else 4)
    keys: list[str] = []
    for _ in range(k):
        key = rng.choice(pool)
        if key not in keys:
            keys.append(key)
    names = [rng.choice(INSTITUTIONS[key]) for key in keys]
    if rng.random() < 0.3:
        names.append(rng.choice(LOCAL_INSTITUTIONS))
    sep = rng.choice([", ", "; ", "\n", ",", " ; "])
    if len(names) >= 2 and rng.random() < 0.4:
        text = sep.join(names[:-1]) + " and " + names[-1]
    else:
        text = sep.join(names)
    return text, keys


def make_record(rng: random.Random, org: Org, wave: str, when: datetime) -> Record:
    shift = WAVE_SHIFT[wave]
    sector_text = rng.choice(SECTOR_SPELLINGS[org.sector])
    cells = {
        "respondent_id": org.rid,
        "organization": org.name,
        "submitted": when.strftime("%Y-%m-%d %H:%M:%S" if wave == "2010" else "%Y-%m-%dT%H:%M"),
        "sector": _messy(rng, sector_text),
        "trafficking_importance": rating(rng, A2_MEAN[org.sector] + shift / 2, 0.03),
        "hq_staff": staff(rng, org.sector),
        "ungift_importance": rating(rng, B1_MEAN[org.sector] + shift),
    }
    rec = Record(org, when, cells)
    for qid, col in OPEN_COLUMNS.items():
        text, themes = open_answer(rng, qid, org.sector)
        cells[col] = text
        rec.themes += [(qid, t) for t in themes]
    cells["topics"], cells["topics_other"] = topics(rng)
    for qid, col, partners in (("B8", "other_fora", False), ("B9", "partner_institutions", True)):
        text, keys = institution_list(rng, org, partners)
        cells[col] = text
        rec.institutions += [(qid, k) for k in keys]
    return rec


def _start(wave: str) -> datetime:
    return datetime(2010, 3, 1, 9, 0) if wave == "2010" else datetime(2012, 4, 2, 9, 0)


def build_wave(rng: random.Random, orgs: list[Org], wave: str) -> list[Record]:
    """Records of one wave in submission order, with the planted problems."""
    t0 = _start(wave)
    recs = [
        make_record(rng, o, wave, t0 + timedelta(minutes=rng.randint(0, 60 * 24 * 40)))
        for o in orgs
    ]
    recs.sort(key=lambda r: (r.submitted, r.org.rid))
    _plant_text_problems(rng, recs, wave)
    extra: list[Record] = []
    # exact duplicate: the same submission sent twice (identical cells)
    for rec in rng.sample(recs, 2 if wave == "2012" else 1):
        extra.append(Record(rec.org, rec.submitted, dict(rec.cells), [], []))
    # near-duplicates: the same id resubmitted later with changed answers (cleaning keeps the latest)
    for rec in rng.sample(recs, 2):
        later = rec.submitted + timedelta(hours=rng.randint(2, 72))
        new = make_record(rng, rec.org, wave, later)
        for col in ("added_value", "impact", "steps_ungift", "steps_organization"):
            new.cells[col] = rec.cells[col]  # resubmitted to correct the ratings and B7
        new.themes = [(q, t) for q, t in rec.themes if q != "B7"] + [
            x for x in new.themes if x[0] == "B7"
        ]
        rec.themes, rec.institutions = [], []  # the earlier one is quarantined: no ground truth
        extra.append(new)
    # a row with no id
    anon = make_record(
        rng, Org("", "", rng.choice(["ngo", "gov"]), "Europe"), wave, t0 + timedelta(days=3)
    )
    anon.cells["organization"] = ""
    anon.themes, anon.institutions = [], []
    extra.append(anon)
    recs = sorted(recs + extra, key=lambda r: r.submitted)
    # stray spaces around one id
    spaced = next(r for r in recs[5:] if r.cells["respondent_id"])
    spaced.cells["respondent_id"] = f" {spaced.cells['respondent_id']} "
    for pos in sorted(rng.sample(range(10, len(recs)), 2), reverse=True):
        recs.insert(pos, Record(None, t0, {c: "" for c in RAW_COLUMNS}))
    return recs


def _plant_text_problems(rng: random.Random, recs: list[Record], wave: str) -> None:
    """Hostile and personal text, an unknown sector, an out-of-range code."""
    a, b, c, d, e = rng.sample(range(len(recs)), 5)
    recs[a].cells["steps_ungift"] = (recs[a].cells["steps_ungift"] + EMAIL_PHONE).strip()
    recs[b].cells["impact"] = SCRIPT
    recs[b].themes = [x for x in recs[b].themes if x[0] != "B3"] + [("B3", "global_report")]
    recs[c].cells["steps_ungift"] = FORMULA
    recs[c].themes = [x for x in recs[c].themes if x[0] != "B4"] + [("B4", "communication")]
    own = recs[d]
    own.cells["steps_organization"] = (
        f"As {own.org.name}, we can contribute to UN.GIFT reports with our in-house expertise."
    )
    own.themes = [x for x in own.themes if x[0] != "B5"] + [("B5", "reports_expertise")]
    if wave == "2010":
        recs[e].cells["sector"] = "Private foundation"  # not an option or alias: flagged
    else:
        recs[e].cells["trafficking_importance"] = "7"  # out of range on a 1-5 scale


def to_csv(recs: list[Record], delimiter: str, lineterminator: str) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator=lineterminator)
    writer.writerow(RAW_COLUMNS)
    for r in recs:
        writer.writerow([r.cells[c] for c in RAW_COLUMNS])
    return buf.getvalue()


def truth_csv(recs: list[Record], kind: str) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["respondent_id", "question", "theme" if kind == "themes" else "institution"])
    rows = []
    for r in recs:
        if r.org is None or not r.org.rid:
            continue
        for qid, value in r.themes if kind == "themes" else r.institutions:
            rows.append((r.org.rid, qid, value))
    writer.writerows(sorted(rows))
    return buf.getvalue()


def generate(out_dir: Path) -> dict[str, str]:
    """Write both waves and the ground truth under ``out_dir``; return {file name: sha256}."""
    rng = random.Random(SEED)
    orgs = make_orgs(rng, N_2010 + N_2012 - N_BOTH)
    both = orgs[:N_BOTH]
    only_2010 = orgs[N_BOTH:N_2010]
    only_2012 = orgs[N_2010:]
    # one 2012-only organization whose name cp1252 cannot encode (the 2012 file is UTF-8)
    only_2012[0] = Org(
        only_2012[0].rid, "Stowarzyszenie Przeciw Handlowi Ludźmi (Łódź)", "ngo", "Europe"
    )
    waves = {
        "2010": (both + only_2010, ";", "\r\n", "cp1252"),
        "2012": (both + only_2012, ",", "\n", "utf-8-sig"),
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "synthetic_truth").mkdir(exist_ok=True)
    sums: dict[str, str] = {}
    for wave, (members, delim, eol, encoding) in waves.items():
        members = sorted(members, key=lambda o: o.rid)
        recs = build_wave(rng, members, wave)
        files = {
            f"ungift_{wave}.csv": to_csv(recs, delim, eol).encode(encoding),
            f"synthetic_truth/ungift_{wave}_themes.csv": truth_csv(recs, "themes").encode(),
            f"synthetic_truth/ungift_{wave}_institutions.csv": truth_csv(
                recs, "institutions"
            ).encode(),
        }
        for name, data in files.items():
            (out_dir / name).write_bytes(data)
            sums[name] = hashlib.sha256(data).hexdigest()
    return sums


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    default = Path(__file__).resolve().parents[1] / "data" / "raw"
    parser.add_argument(
        "--out", type=Path, default=default, help=f"output folder (default {default})"
    )
    args = parser.parse_args()
    for name, digest in generate(args.out).items():
        print(f"{digest}  {name}")


if __name__ == "__main__":
    main()
