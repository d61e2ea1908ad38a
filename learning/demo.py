"""Demo content for the learning app: safety messages and learning materials.

Facts come from the two source documents in ``shared/seeds`` (the briefing on
implementing the new child death review arrangements and the national QI plan for
2023-2026) and from widely published UK safer-sleep and home-safety advice; the
words are ours. No statistics are quoted that the sources do not give.

``load_learning_demo(home)`` is idempotent: it finds each page by slug under its
parent before creating it, and never changes a page that already exists, so
editors' changes survive a re-run. Run it after ``website.demo`` has seeded the
theme and audience vocabularies.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction
from wagtail.models import Page

from website.demo import _body, _rich
from website.models import Audience, HomePage, Theme

from .models import (
    LearningIndexPage,
    LearningResourcePage,
    LearningResourceRelated,
    SafetyMessageIndexPage,
    SafetyMessagePage,
)

SOURCE_TITLE = "National Child Mortality Database: learning from child death reviews"

# --- Block helpers ----------------------------------------------------------------
# Each returns a (type, value) pair for ``_body``; values are the JSON the blocks
# store, so the admin opens them exactly as an editor would have made them.


def _do(*items: str, label: str = "", level: int = 3) -> tuple[str, dict]:
    return (
        "do_list",
        {"heading_level": level, "label": label, "do": [_rich(i) for i in items]},
    )


def _dont(*items: str, label: str = "", level: int = 3) -> tuple[str, dict]:
    return (
        "dont_list",
        {"heading_level": level, "label": label, "dont": [_rich(i) for i in items]},
    )


def _care_card(kind: str, title: str, *paragraphs: str) -> tuple[str, dict]:
    """A care card: ``kind`` is primary (non-urgent), urgent or immediate."""
    return (
        "care_card",
        {
            "type": kind,
            "heading_level": 3,
            "title": title,
            "body": [{"type": "richtext", "value": _rich(*paragraphs)}],
        },
    )


def _warning(title: str, *paragraphs: str) -> tuple[str, dict]:
    return (
        "warning_callout",
        {"title": title, "heading_level": 3, "body": _rich(*paragraphs)},
    )


def _inset(*paragraphs: str) -> tuple[str, dict]:
    return ("inset_text", {"body": _rich(*paragraphs)})


def _steps(heading: str, *steps: str) -> tuple[str, dict]:
    return ("steps", {"heading": heading, "steps": [_rich(s) for s in steps]})


def _quote(quote: str, attribution: str) -> tuple[str, dict]:
    return ("quote", {"quote": quote, "attribution": attribution})


def _details(title: str, html: str, *, block: str = "details") -> tuple[str, dict]:
    return (block, {"title": title, "body": [{"type": "richtext", "value": html}]})


def _ul(*items: str) -> str:
    return "<ul>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>"


def _table(caption: str, head: list[str], rows: list[list[str]]) -> tuple[str, dict]:
    """A responsive NHS table whose first column labels each row."""
    return (
        "table",
        {
            "caption": caption,
            "caption_size": "m",
            "head": [{"text": text} for text in head],
            "rows": [
                {
                    "cells": [
                        {"text": text, "header": head[i]} for i, text in enumerate(row)
                    ]
                }
                for row in rows
            ],
            "responsive": True,
            "first_cell_is_header": True,
        },
    )


# --- Safety messages ----------------------------------------------------------------

SAFETY_INDEX = {
    "slug": "safety-messages",
    "title": "Newborn and infant safety messages",
    "intro": "Short, practical messages drawn from what child death reviews have "
    "taught us, for everyone who supports families with babies and young "
    "children. Each one can be read on a phone, printed or shared.",
}

HEALTH_AND_EARLY_YEARS = [
    "midwives",
    "health-visitors",
    "gps",
    "parents-carers",
    "early-years",
]

SAFETY_MESSAGES = [
    {
        "slug": "safer-sleep",
        "title": "Safer sleep for babies",
        "key_message": "Put every baby down to sleep on their back, in a clear, "
        "flat, separate sleep space, in the same room as a parent or carer for "
        "the first 6 months.",
        "summary": "The safer-sleep basics to go through with every family, for "
        "every sleep, day and night, and how to keep them going when routines "
        "change.",
        "themes": ["safe-sleep"],
        "audiences": HEALTH_AND_EARLY_YEARS,
        "last_reviewed": date(2026, 9, 14),
        "what_to_do": [
            _do(
                "Lay the baby on their back for every sleep, including daytime naps.",
                "Use a cot or Moses basket with a firm, flat, waterproof mattress "
                "and nothing else in it.",
                "Put the baby in the same room as you for all sleeps, day and "
                "night, for the first 6 months.",
                "Place the baby with their feet at the foot of the cot, with any "
                "blanket tucked in no higher than their shoulders, or use a "
                "well-fitting baby sleeping bag.",
                "Keep the baby's surroundings smoke-free, during pregnancy and "
                "after the birth.",
            ),
            _dont(
                "Do not put pillows, duvets, cot bumpers, pods, nests or soft toys "
                "in the sleep space.",
                "Do not cover the baby's face or head, or put a hat on them to "
                "sleep indoors.",
                "Do not use wedges or positioners that claim to keep a baby in "
                "one position.",
                "Do not let the baby sleep on a sofa, in an armchair or propped "
                "up on cushions.",
            ),
            _inset(
                "<b>For practitioners:</b> ask where the baby sleeps at every "
                "contact, including naps and nights away from home, and talk "
                "through what will happen when the usual routine changes, such as "
                "during illness, visits to relatives or holidays."
            ),
        ],
        "why_it_matters": _rich(
            "Learning from child death reviews shows that when a baby dies "
            "suddenly and unexpectedly, panels often find things about how and "
            "where the baby was sleeping that could have been different. Sudden "
            "unexpected death in infancy and childhood (SUDIC) is one of the areas "
            "the national programme has singled out for more training.",
            "Midwives, health visitors, GPs and early-years staff are the people "
            "families see most in a baby's first months. A short, consistent "
            "conversation from each of them, repeated as the baby grows, is one of "
            "the most useful things the system can do.",
        ),
    },
    {
        "slug": "bed-sharing-alcohol-smoking",
        "title": "Sharing a bed with a baby: alcohol, drugs and smoking",
        "key_message": "Never share a bed or fall asleep with a baby after drinking "
        "alcohol or taking drugs, or if anyone in the bed smokes, and never sleep "
        "with a baby on a sofa or armchair.",
        "summary": "Bed sharing is far more dangerous in some circumstances. How "
        "to talk to families about the situations in which a baby must always "
        "sleep in their own space.",
        "themes": ["safe-sleep"],
        "audiences": ["midwives", "health-visitors", "gps", "parents-carers"],
        "last_reviewed": date(2026, 9, 14),
        "what_to_do": [
            _warning(
                "Sofas and armchairs",
                "If you think you might fall asleep while holding the baby, put "
                "them down in their own clear, flat sleep space first. Falling "
                "asleep together on a sofa or in an armchair is one of the most "
                "dangerous places for a baby to sleep.",
            ),
            _do(
                "Ask every family whether the baby ever ends up in bed with an "
                "adult, including by accident during a night feed.",
                "If parents do share a bed, help them make it safer: a firm, flat "
                "mattress, the baby on their back, away from pillows and duvets, "
                "and no other children or pets in the bed.",
                "Help parents plan ahead for nights when they might drink, so the "
                "baby sleeps in their own cot.",
                "Offer support to stop smoking to parents and anyone else in the "
                "household, and refer them to local services.",
            ),
            _dont(
                "Do not share a bed with a baby after drinking any alcohol or "
                "taking drugs, or medicines that make you drowsy.",
                "Do not share a bed with a baby if you, or anyone in the bed, smokes.",
                "Do not share a bed if the baby was born early or small, or if "
                "you are extremely tired.",
                "Do not leave a baby alone in an adult bed.",
            ),
        ],
        "why_it_matters": _rich(
            "Learning from child death reviews shows that the risk of a baby dying "
            "while sharing a sleep surface rises steeply when the adult has been "
            "drinking or using drugs, when someone smokes, or when they fall "
            "asleep together on a sofa. The risks add up: a baby exposed to more "
            "than one of them is in much greater danger.",
            "Many families who never meant to share a bed do so when they are "
            "exhausted. Reducing smoking and heavy drinking is also part of the "
            "wider public health work that local child death review arrangements "
            "are expected to support.",
        ),
    },
    {
        "slug": "bath-seats",
        "title": "Bath seats and drowning",
        "key_message": "Never leave a baby alone in the bath, even for a moment and "
        "even in a bath seat: a bath seat is a bathing aid, not a safety device.",
        "summary": "Babies can drown quickly and silently in very little water. "
        "Why a bath seat does not make it safe to step away, and what to tell "
        "families.",
        "themes": ["water-safety"],
        "audiences": HEALTH_AND_EARLY_YEARS,
        "last_reviewed": date(2026, 10, 5),
        "what_to_do": [
            _warning(
                "A bath seat is not a safety device",
                "Bath seats can tip over and babies can slip out of them. They "
                "give no protection unless an adult is there, watching, the whole "
                "time.",
            ),
            _do(
                "Stay with the baby, within arm's reach and watching them, for "
                "the whole bath.",
                "Get the towel, nappy and clothes ready before the bath starts.",
                "If you have to answer the door or the phone, or see to another "
                "child, lift the baby out and take them with you.",
                "Empty the bath as soon as you have finished.",
            ),
            _dont(
                "Do not leave a baby in a bath seat or bath ring, even for a few "
                "seconds.",
                "Do not ask an older brother or sister to watch the baby in the bath.",
                "Do not assume shallow water is safe.",
            ),
        ],
        "why_it_matters": _rich(
            "Learning from child death reviews shows that babies can drown in the "
            "bath in the short time an adult is out of the room, including when "
            "they have been left in a bath seat. Drowning is quick and quiet, so a "
            "parent who steps away for a moment may hear nothing.",
            "Many parents believe a bath seat keeps their baby safe. Saying plainly "
            "that it does not, when a family starts using one, is the point at "
            "which this message makes a difference.",
        ),
    },
    {
        "slug": "blind-cords-and-windows",
        "title": "Window blind cords and window safety",
        "key_message": "Keep blind and curtain cords tied up out of reach, keep cots "
        "and furniture away from windows, and fit window restrictors.",
        "summary": "Looped cords can strangle a young child in moments, and "
        "children can climb and fall from open windows. Simple changes at home "
        "that remove both risks.",
        "themes": ["home-safety", "safe-sleep"],
        "audiences": ["health-visitors", "early-years", "parents-carers", "gps"],
        "last_reviewed": date(2026, 10, 5),
        "what_to_do": [
            _do(
                "Tie up blind and curtain cords and chains on a cleat or tidy "
                "fixed high on the wall, out of a child's reach.",
                "Move cots, beds, high chairs and furniture a child could climb "
                "away from windows and cords.",
                "Fit restrictors so windows only open a little, and keep any keys "
                "where adults can find them quickly in an emergency.",
                "Choose cordless blinds, or blinds with safety devices built in, "
                "when fitting new ones.",
                "Raise cord and window safety at home visits, especially as a baby "
                "starts to roll, crawl and pull themselves up.",
            ),
            _dont(
                "Do not put a cot or bed under or beside a window with a blind or "
                "curtain cord.",
                "Do not leave cords hanging loose or knotted where a child could "
                "still reach them.",
                "Do not rely on a fly screen or net to stop a child falling.",
            ),
        ],
        "why_it_matters": _rich(
            "Learning from child death reviews shows that a looped blind or "
            "curtain cord can strangle a young child within moments, and that a "
            "cot or bed placed near a window can put a cord within reach. Falls "
            "from windows happen when furniture lets a child climb up to an "
            "opening.",
            "These deaths are preventable with cheap, simple changes. The national "
            "programme wants to work beyond health services on them, for example "
            "with the health and safety industry and with housing policy makers.",
        ),
    },
    {
        "slug": "car-seats",
        "title": "Car seats for babies",
        "key_message": "Use a correctly fitted, rear-facing car seat for every "
        "journey, and take the baby out to sleep flat on their back once you "
        "arrive.",
        "summary": "A car seat protects a baby on the road but is not a safe place "
        "to sleep for long outside the car. What to check before and after every "
        "journey.",
        "themes": ["road-safety", "safe-sleep"],
        "audiences": HEALTH_AND_EARLY_YEARS,
        "last_reviewed": date(2026, 8, 24),
        "what_to_do": [
            _do(
                "Use a rear-facing seat for every journey, however short, fitted "
                "as the manufacturer's instructions say.",
                "Check the harness is snug, with no bulky coat or snowsuit under "
                "the straps.",
                "Switch off the passenger airbag if a rear-facing seat has to go "
                "in the front.",
                "On long journeys, take regular breaks and lift the baby out; if "
                "you can, have an adult sit beside the baby to watch them.",
                "When you arrive, take the baby out and lay them flat on their "
                "back to sleep.",
            ),
            _dont(
                "Do not leave a baby asleep in a car seat for long periods once "
                "you are out of the car, or use it as a bed at home.",
                "Do not put a car seat on a table, worktop, bed or sofa, where it "
                "can fall.",
                "Do not use a second-hand seat unless you know its history and "
                "that it has never been in a crash.",
                "Do not leave a baby alone in a car.",
            ),
            _inset(
                "In a car seat a baby sits semi-upright. Out of the car, their head "
                "can slump forward and make breathing harder, so a car seat is for "
                "travel, not for sleep."
            ),
        ],
        "why_it_matters": _rich(
            "Learning from child death reviews points to two separate risks: "
            "babies travelling without a suitable, correctly fitted seat, and "
            "babies left to sleep in a car seat, travel system or similar seat "
            "for a long time after the journey, where a slumped position can "
            "restrict their breathing.",
            "Many parents are shown how to fit a seat but not told that it is not "
            "a safe place for long sleeps. Mention both when you talk about "
            "getting home from hospital and about days out.",
        ),
    },
    {
        "slug": "button-batteries",
        "title": "Button batteries",
        "key_message": "Keep button batteries, and anything that contains them, out "
        "of children's reach; if a child may have swallowed one, go to A&E "
        "straight away.",
        "summary": "A swallowed button battery can cause serious internal burns "
        "very quickly, even if the child seems well. How to store them safely "
        "and what to do in an emergency.",
        "themes": ["home-safety"],
        "audiences": ["health-visitors", "gps", "early-years", "parents-carers"],
        "last_reviewed": date(2026, 11, 2),
        "what_to_do": [
            _care_card(
                "immediate",
                "If you think a child has swallowed a button battery",
                "Go to A&amp;E straight away, or call 999. Do not wait for "
                "symptoms: the child may seem well at first.",
                "Do not make the child sick, and do not give them anything to eat "
                "or drink. Take the battery packet or the device with you if you "
                "can.",
            ),
            _do(
                "Keep spare and used batteries in a closed container, high up and "
                "out of sight.",
                "Check battery compartments on toys, remote controls, key fobs, "
                "scales and other devices are closed with a screw or a catch a "
                "child cannot open.",
                "Look out for novelty items, musical greetings cards and light-up "
                "toys that contain button batteries.",
                "Take used batteries for recycling promptly.",
            ),
            _dont(
                "Do not leave batteries loose in drawers, bags or on worktops.",
                "Do not let children play with devices whose battery cover is "
                "loose or broken.",
                "Do not give a child a device to play with that they could open.",
            ),
        ],
        "why_it_matters": _rich(
            "A button battery lodged in a child's food pipe can burn through the "
            "tissue very quickly. Learning from child death reviews shows that "
            "children sometimes seem well at first, or that no one saw them "
            "swallow anything, so families do not seek help in time.",
            "Button batteries are in more and more everyday products. Safe storage "
            "stops most incidents; knowing that a swallowed battery is always an "
            "emergency deals with the rest.",
        ),
    },
]


# --- Learning resources -------------------------------------------------------------

LEARNING_INDEX = {
    "slug": "learning",
    "title": "Learning materials",
    "intro": "Seven-minute briefings, guidance summaries, crib sheets and "
    "training outlines for everyone involved in reviewing child deaths.",
}

CDR_AUDIENCES = ["cdr-professionals", "cdop-administrators"]

BRIEFING_SECTIONS = [
    (
        "Why the arrangements changed",
        "The Children and Social Work Act 2017 moved the duty to make sure every "
        "child death is reviewed away from Local Safeguarding Children Boards "
        "(LSCBs). It now rests jointly with local authorities and clinical "
        "commissioning groups (CCGs, since replaced by integrated care boards), "
        "known together as <b>child death review partners</b>. Partners decide "
        "between them how reviews are organised, staffed and paid for.",
    ),
    (
        "Key dates and early adopters",
        "Every area had to agree a local plan by <b>29 June 2019</b> and have the "
        "new arrangements working by <b>29 September 2019</b>. A few early "
        "adopter sites went first, testing options and sharing what they learned "
        "so that other areas could move faster.",
    ),
    (
        "Panels covering larger populations",
        "Partners were encouraged to rationalise Child Death Overview Panels "
        "(CDOPs) so that each reviews deaths across a bigger population, often "
        "several local authority and CCG areas; one early adopter was bringing "
        "seven panels and eight rapid response arrangements into line. A wider "
        "footprint helps a panel spot patterns, pool scarce staff and speak with "
        "one voice. The risk to manage is that each area feels less ownership of "
        "the learning.",
    ),
    (
        "Responding when a child dies unexpectedly",
        "Each area needs one agreed <b>rapid response</b>, or joint agency "
        "response, to unexpected deaths, in line with the statutory guidance, "
        "with health professionals, police and others working together from the "
        "start. Responses varied widely between areas. In places early adopters "
        "visited, one team covering a large area gave consistency, while "
        "elsewhere an on-call rota gave fair cover across every part of the area.",
    ),
    (
        "The child death review meeting",
        "Before a death reaches the panel, a <b>child death review meeting</b> "
        "brings together the professionals who were directly involved with the "
        "child to discuss the circumstances and the care given. Hospitals, police "
        "and coroners need to agree how these meetings fit with their own "
        "processes, especially where more than one hospital or area is involved.",
    ),
    (
        "A key worker for every family",
        "Bereaved families should have a named <b>key worker</b>: one person who "
        "explains what will happen, keeps them up to date and passes on their "
        "questions. In one area early adopters visited, a single team was in touch "
        "with each family around ten times on average; where staff are stretched, "
        "areas may only manage part of the role, and that gap needs planning for.",
    ),
    (
        "Records, resources and next steps",
        "Many areas are adopting <b>eCDOP</b>, a secure web-based system for case "
        "records, which also helps estimate future workload. The new duties have "
        "to be resourced: insisting that every option is cost neutral narrows "
        "what is possible. Next, partners should map current panel, rapid "
        "response and key worker provision, agree shared governance and "
        "accountability, and bring hospitals, police and coroners in early.",
    ),
]


def _briefing_body() -> list[tuple[str, str]]:
    blocks = []
    for heading, text in BRIEFING_SECTIONS:
        blocks.append(("heading", heading))
        blocks.append(("paragraph", _rich(text)))
    return blocks


LEARNING_RESOURCES = [
    {
        "slug": "7-minute-briefing-new-child-death-review-arrangements",
        "title": "7-minute briefing: the new child death review arrangements",
        "kind": LearningResourcePage.Kind.BRIEFING,
        "duration_minutes": 7,
        "summary": "What the Children and Social Work Act 2017 changed about "
        "child death review, what early adopter areas did first, and what every "
        "child death review partner needs to have in place.",
        "themes": ["cdr-process", "bereaved-families"],
        "audiences": [*CDR_AUDIENCES, "commissioners"],
        "last_reviewed": date(2026, 7, 20),
        "body": _briefing_body(),
    },
    {
        "slug": "what-changed-in-child-death-review",
        "title": "What changed: the new child death review process compared with "
        "the old",
        "kind": LearningResourcePage.Kind.GUIDANCE,
        "duration_minutes": 10,
        "summary": "The main differences between the child death review process "
        "before and after the 2019 arrangements, what stayed the same, and the "
        "challenges areas met when making the change.",
        "themes": ["cdr-process"],
        "audiences": [*CDR_AUDIENCES, "commissioners"],
        "last_reviewed": date(2026, 7, 20),
        "body": [
            (
                "paragraph",
                _rich(
                    "This summary sets the arrangements that every area in England "
                    "has had in place since September 2019 beside the process they "
                    "replaced. Use it to brief new panel members, commissioners and "
                    "partners who join a review for the first time."
                ),
            ),
            _table(
                "Main differences",
                ["Area", "Before", "Now"],
                [
                    [
                        "Who is responsible",
                        "The Local Safeguarding Children Board (LSCB).",
                        "Local authorities and CCGs (now integrated care boards) "
                        "together, as child death review partners.",
                    ],
                    [
                        "Panel footprint",
                        "Panels set up by LSCBs, often for a single local "
                        "authority area.",
                        "Panels may cover several areas, so each reviews enough "
                        "deaths to see patterns.",
                    ],
                    [
                        "Unexpected deaths",
                        "Rapid response arrangements differed widely between areas.",
                        "An agreed rapid response, or joint agency response, in "
                        "line with the statutory guidance.",
                    ],
                    [
                        "Before the panel",
                        "No standard multi-agency meeting required before the panel.",
                        "A child death review meeting of the professionals who "
                        "were directly involved with the child.",
                    ],
                    [
                        "Families",
                        "Contact with families varied from area to area.",
                        "A named key worker as the family's single point of "
                        "contact throughout.",
                    ],
                    [
                        "Records and national data",
                        "Records kept locally, in formats that varied between areas.",
                        "Secure electronic records (often eCDOP), with panels' "
                        "findings analysed nationally by the National Child "
                        "Mortality Database.",
                    ],
                ],
            ),
            ("heading", "What has not changed"),
            (
                "paragraph",
                _rich(
                    "Every child death is still reviewed. The purpose is the same: "
                    "to understand how and why children die, and to find the "
                    "factors that a local or national change could modify so that "
                    "fewer children die in future. The review must respect the "
                    "rights of the child and of their family throughout."
                ),
            ),
            ("heading", "What areas found hard"),
            _details(
                "Challenges early adopter sites reported",
                _ul(
                    "Starting from very different places: some panels worked "
                    "well, others less so, especially after unexpected deaths.",
                    "Reaching agreement across a large system, where partners had "
                    "different ideas of what good looks like.",
                    "Resistance to change, often from fear of losing local autonomy.",
                    "Working out who the decision makers were once the LSCB no "
                    "longer held the duty.",
                    "Setting up shared governance and accountability across "
                    "several areas.",
                    "Agreeing how hospitals collect information when more than "
                    "one hospital serves the area.",
                    "Funding: options that had to be cost neutral limited what "
                    "was possible.",
                    "Estimating future workload, particularly for rapid response, "
                    "from historic data.",
                ),
            ),
            ("heading", "What areas expected to gain"),
            (
                "paragraph",
                _ul(
                    "a sharper focus on learning, and the ability to pick up trends",
                    "strategic influence and a collective voice",
                    "pooled resources, efficiency and more consistent practice",
                    "stronger governance",
                    "wider training and development, including staff rotation",
                    "public health issues seen across a whole area",
                ),
            ),
            _inset(
                "This is a short guide to the main changes, not a substitute for "
                "the statutory and operational guidance or for your local "
                "arrangements."
            ),
        ],
    },
    {
        "slug": "crib-sheet-chairing-child-death-review-meetings",
        "title": "Crib sheet: chairing an effective child death review meeting",
        "kind": LearningResourcePage.Kind.CRIB_SHEET,
        "duration_minutes": 5,
        "summary": "A one-page prompt for chairs: preparing, running the "
        "discussion, agreeing contributory and modifiable factors, and following "
        "up with the family and the panel.",
        "themes": ["cdr-process", "data-quality"],
        "audiences": CDR_AUDIENCES,
        "last_reviewed": date(2026, 6, 8),
        "body": [
            _inset(
                "Professionals involved in child death review tell the national "
                "programme that chairing effective meetings is one of the areas "
                "where they most want support. Use this sheet alongside your local "
                "procedures."
            ),
            ("heading", "Before the meeting"),
            _steps(
                "",
                "Check that everyone directly involved in the child's care, from "
                "every agency, has been invited.",
                "Share the chronology and reports securely and in good time.",
                "Ask the family's key worker what the family want to know and "
                "whether they have questions for the meeting.",
                "Find out whether a police investigation or inquest limits what "
                "can be discussed or shared.",
            ),
            ("heading", "During the meeting"),
            _steps(
                "",
                "Open by stating the purpose: to understand what happened and to "
                "learn, not to blame.",
                "Use the child's name and keep the child and family at the centre.",
                "Work through events in order and make sure every agency is heard.",
                "Agree which factors may have contributed and which could be changed.",
                "Record actions with an owner and a date for each.",
            ),
            ("heading", "After the meeting"),
            _steps(
                "",
                "Send the agreed record to the panel promptly, and make sure the "
                "reporting forms are complete and accurate: national learning "
                "depends on them.",
                "Make sure the key worker tells the family what was discussed, in "
                "the way they asked.",
                "Check on colleagues: a child's death affects the professionals "
                "involved too.",
            ),
            _do(
                "Start and finish on time, and keep to the agenda.",
                "Summarise what has been agreed before moving on.",
                "Write the record in plain language the family could read.",
            ),
            _dont(
                "Do not let the discussion become a search for someone to blame.",
                "Do not let one agency's account stand for everyone's.",
                "Do not leave an action without an owner.",
            ),
        ],
    },
    {
        "slug": "crib-sheet-involving-parents",
        "title": "Crib sheet: involving parents in the child death review",
        "kind": LearningResourcePage.Kind.CRIB_SHEET,
        "duration_minutes": 5,
        "summary": "Prompts for keeping bereaved parents informed and involved, "
        "from first contact to sharing what the panel learned.",
        "themes": ["bereaved-families", "cdr-process"],
        "audiences": [*CDR_AUDIENCES, "health-visitors"],
        "last_reviewed": date(2026, 6, 8),
        "body": [
            _inset(
                "Professionals tell the national programme that involving parents "
                "well is one of the things they most want help with. Parents know "
                "their child best, and their questions often point to the most "
                "important learning."
            ),
            ("heading", "From first contact to the panel"),
            _steps(
                "",
                "Explain early, simply and in writing what a child death review is, "
                "and that one happens whenever a child dies.",
                "Introduce the key worker, how to reach them, and when they will "
                "next be in touch.",
                "Ask parents whether there is anything they want the review to look "
                "at, and how they would like to hear about the outcome.",
                "Tell parents when the child death review meeting and the panel "
                "will take place, and feed back afterwards through the key worker.",
                "Share the learning in plain language, including how it may help "
                "other families.",
            ),
            ("heading", "Good practice"),
            _do(
                "Use the child's name.",
                "Check language and communication needs, and book a professional "
                "interpreter when one is needed.",
                "Respect cultural and religious needs around death and mourning.",
                "Offer information about bereavement support, such as Child "
                "Bereavement UK, Sands or The Lullaby Trust, as fits the family's "
                "circumstances.",
            ),
            _dont(
                "Do not assume parents want no contact: ask, and ask again later.",
                "Do not ask a family member or child to interpret.",
                "Do not let parents hear about findings from anyone other than "
                "their key worker or the contact they chose.",
            ),
        ],
    },
    {
        "slug": "sudic-training-module-outline",
        "title": "Training module outline: sudden unexpected death in infancy and "
        "childhood (SUDIC)",
        "kind": LearningResourcePage.Kind.MODULE,
        "duration_minutes": 150,
        "summary": "An outline for a half-day module for professionals who respond "
        "to and review sudden unexpected deaths of infants and children, and who "
        "talk to families about safer sleep.",
        "themes": ["safe-sleep", "cdr-process", "bereaved-families"],
        "audiences": [
            "cdr-professionals",
            "health-visitors",
            "midwives",
            "gps",
            "police",
        ],
        "last_reviewed": date(2026, 10, 19),
        "related": [
            ("safety", "safer-sleep"),
            ("safety", "bed-sharing-alcohol-smoking"),
            ("learning", "7-minute-briefing-new-child-death-review-arrangements"),
        ],
        "body": [
            (
                "paragraph",
                _rich(
                    "The national quality improvement plan names SUDIC as an area "
                    "that needs its own training. This outline sets out a module "
                    "that local teams can adapt, in five sessions of about half an "
                    "hour each."
                ),
            ),
            ("heading", "Who it is for"),
            (
                "paragraph",
                _ul(
                    "designated doctors and nurses for child deaths",
                    "professionals who take part in a joint agency response",
                    "midwives, health visitors and GPs who give safer-sleep advice",
                    "police officers who attend sudden deaths of children",
                ),
            ),
            ("heading", "Sessions"),
            _steps(
                "Five sessions of about 30 minutes each",
                "<b>What SUDIC is and why reviews matter.</b> The purpose of child "
                "death review: understanding how and why children die, and finding "
                "factors that could be changed.",
                "<b>The joint agency response.</b> The first hours and days: the "
                "roles of health, police and the coroner, and caring for the "
                "family while gathering information.",
                "<b>Safer-sleep conversations.</b> Back to sleep, a clear, flat, "
                "separate space, the same room for the first 6 months, and the "
                "added danger of sofas, alcohol, drugs and smoking. Practising the "
                "conversation.",
                "<b>Supporting bereaved families.</b> The key worker role, clear "
                "communication, and cultural and religious needs.",
                "<b>From review to learning.</b> The child death review meeting and "
                "the panel, recording modifiable factors accurately, and how "
                "national analysis comes back as safety messages.",
            ),
            _quote(
                "…grounded in deep respect for the rights of children and "
                "their families.",
                "Child Death Review: Statutory and Operational Guidance (England), "
                "2018",
            ),
            ("heading", "Delivering the module"),
            _warning(
                "Look after participants",
                "Training about the deaths of children can be distressing, "
                "especially for people who have been bereaved or who have responded "
                "to a death. Say so at the start, make it easy to step out, and "
                "tell people where to find support.",
            ),
            _details(
                "Suggested preparation",
                _ul(
                    "Read this site's safety messages on safer sleep and on bed "
                    "sharing.",
                    "Read the 7-minute briefing on the new child death review "
                    "arrangements.",
                    "Find out how the joint agency response works in your area.",
                ),
                block="expander",
            ),
        ],
    },
]


# --- Loading ------------------------------------------------------------------------


def _vocabulary(model, slugs: list[str]) -> list:
    terms = {t.slug: t for t in model.objects.filter(slug__in=slugs)}
    missing = [s for s in slugs if s not in terms]
    if missing:
        raise ValueError(
            f"{model._meta.verbose_name} not seeded: {', '.join(missing)}; "
            "run website.demo.seed_vocabularies() first."
        )
    return [terms[s] for s in slugs]


def _tag(page, spec: dict) -> None:
    """Tag an unsaved page; the tags are saved with the page and its revision."""
    page.themes.add(*_vocabulary(Theme, spec["themes"]))
    page.audiences.add(*_vocabulary(Audience, spec["audiences"]))


def _find_or_add(parent: Page, model, slug: str, build):
    """The ``model`` page with ``slug`` under ``parent``, created and published."""
    page = model.objects.child_of(parent).filter(slug=slug).first()
    if page is None:
        page = build()
        parent.add_child(instance=page)
        page.save_revision().publish()
        page.refresh_from_db()
    return page


def seed_safety_messages(home: HomePage) -> dict[str, Page]:
    index = _find_or_add(
        home,
        SafetyMessageIndexPage,
        SAFETY_INDEX["slug"],
        lambda: SafetyMessageIndexPage(**SAFETY_INDEX),
    )
    pages: dict[str, Page] = {index.slug: index}
    for spec in SAFETY_MESSAGES:

        def build(spec=spec):
            page = SafetyMessagePage(
                title=spec["title"],
                slug=spec["slug"],
                # Demo content is not news: seeding must never email anyone.
                email_subscribers_on_publish=False,
                key_message=spec["key_message"],
                summary=spec["summary"],
                what_to_do=_body(*spec["what_to_do"]),
                why_it_matters=spec["why_it_matters"],
                source_title=SOURCE_TITLE,
                last_reviewed=spec["last_reviewed"],
                review_interval_months=12,
            )
            _tag(page, spec)
            return page

        pages[spec["slug"]] = _find_or_add(
            index, SafetyMessagePage, spec["slug"], build
        )
    return pages


def seed_learning_resources(home: HomePage, safety: dict[str, Page]) -> dict[str, Page]:
    index = _find_or_add(
        home,
        LearningIndexPage,
        LEARNING_INDEX["slug"],
        lambda: LearningIndexPage(**LEARNING_INDEX),
    )
    pages: dict[str, Page] = {index.slug: index}
    for spec in LEARNING_RESOURCES:

        def build(spec=spec):
            page = LearningResourcePage(
                title=spec["title"],
                slug=spec["slug"],
                kind=spec["kind"],
                duration_minutes=spec["duration_minutes"],
                summary=spec["summary"],
                body=_body(*spec["body"]),
                last_reviewed=spec["last_reviewed"],
            )
            _tag(page, spec)
            for order, (where, slug) in enumerate(spec.get("related", [])):
                target = (safety if where == "safety" else pages)[slug]
                page.related_links.add(
                    LearningResourceRelated(page=target, sort_order=order)
                )
            return page

        pages[spec["slug"]] = _find_or_add(
            index, LearningResourcePage, spec["slug"], build
        )
    return pages


@transaction.atomic
def load_learning_demo(home: HomePage) -> dict[str, Page]:
    """Create (or find) the learning demo pages under ``home``, keyed by slug."""
    pages = seed_safety_messages(home)
    pages.update(seed_learning_resources(home, pages))
    for code, page in seed_translations(pages).items():
        pages[f"safer-sleep-{code}"] = page
    return pages


# --- Demonstration translations ---------------------------------------------------
# Written to show how community-language versions work. They have NOT been checked
# by a qualified translator, and each says so to its readers.

SAFER_SLEEP_TRANSLATIONS = {
    "pl": {
        "title": "Bezpieczny sen niemowląt",
        "key_message": "Każde niemowlę kładź do snu na plecach, na płaskim, "
        "pustym i osobnym miejscu do spania, w tym samym pokoju co rodzic lub "
        "opiekun przez pierwsze 6 miesięcy.",
        "summary": "Podstawowe zasady bezpiecznego snu dla każdej rodziny, przy "
        "każdym śnie, w dzień i w nocy.",
        "note": "Tłumaczenie demonstracyjne: czeka na sprawdzenie przez "
        "wykwalifikowanego tłumacza.",
        "do": [
            "Kładź dziecko na plecach do każdego snu, także w ciągu dnia.",
            "Używaj łóżeczka lub kosza z twardym, płaskim materacem i niczym "
            "więcej w środku.",
            "Przez pierwsze 6 miesięcy dziecko powinno spać w tym samym pokoju co ty.",
            "Nie pal w ciąży ani przy dziecku.",
        ],
        "dont": [
            "Nie kładź poduszek, kołder, ochraniaczy ani maskotek w miejscu do spania.",
            "Nie zasypiaj z dzieckiem na kanapie ani w fotelu.",
            "Nie zakrywaj twarzy ani głowy dziecka podczas snu.",
        ],
        "why": "<p>Przeglądy nagłych zgonów niemowląt pokazują, że sposób i "
        "miejsce snu mają znaczenie. Te proste kroki zmniejszają ryzyko.</p>",
    },
    "ur": {
        "title": "بچوں کی محفوظ نیند",
        "key_message": "پہلے 6 مہینوں تک ہر بچے کو پیٹھ کے بل، ایک صاف، ہموار "
        "اور الگ جگہ پر، والدین یا دیکھ بھال کرنے والے کے کمرے میں سلائیں۔",
        "summary": "ہر خاندان کے لیے محفوظ نیند کے بنیادی اصول، دن اور رات کی "
        "ہر نیند کے لیے۔",
        "note": "نمائشی ترجمہ: کسی مستند مترجم کی جانچ کا منتظر۔",
        "do": [
            "بچے کو ہر بار پیٹھ کے بل سلائیں، دن کے وقت بھی۔",
            "سخت اور ہموار گدے والا پالنا استعمال کریں اور اس میں کچھ اور نہ رکھیں۔",
            "پہلے 6 مہینے بچے کو اپنے ہی کمرے میں سلائیں۔",
            "حمل کے دوران اور بچے کے آس پاس سگریٹ نوشی نہ کریں۔",
        ],
        "dont": [
            "سونے کی جگہ پر تکیے، رضائیاں یا کھلونے نہ رکھیں۔",
            "بچے کے ساتھ صوفے یا آرام کرسی پر نہ سوئیں۔",
            "سوتے وقت بچے کا چہرہ یا سر نہ ڈھانپیں۔",
        ],
        "why": "<p>بچوں کی اچانک اموات کے جائزے بتاتے ہیں کہ بچہ کیسے اور کہاں "
        "سوتا ہے، اس سے فرق پڑتا ہے۔ یہ آسان اقدامات خطرہ کم کرتے ہیں۔</p>",
    },
}


def seed_translations(pages: dict[str, Page]) -> dict[str, Page]:
    """The safer-sleep message in each configured language we have words for."""
    from django.conf import settings
    from wagtail.models import Locale

    english = pages["safer-sleep"]
    configured = dict(settings.WAGTAIL_CONTENT_LANGUAGES)
    made = {}
    for code, text in SAFER_SLEEP_TRANSLATIONS.items():
        if code not in configured:
            continue
        locale, _ = Locale.objects.get_or_create(language_code=code)
        existing = english.get_translation_or_none(locale)
        if existing is not None:
            made[code] = existing
            continue
        page = english.copy_for_translation(locale, copy_parents=True)
        page.title = text["title"]
        page.key_message = text["key_message"]
        page.summary = text["summary"]
        page.translation_note = text["note"]
        page.what_to_do = _body(_do(*text["do"]), _dont(*text["dont"]))
        page.why_it_matters = text["why"]
        page.save_revision().publish()
        for ancestor in page.get_ancestors().filter(depth__gt=1).specific():
            if not ancestor.live:
                ancestor.save_revision().publish()
        made[code] = page
    return made
