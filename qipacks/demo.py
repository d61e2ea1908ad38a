"""Demo QI packs, organisations, uptake histories and two QI lead logins.

Facts come from the source documents in ``shared/seeds`` (the national QI plan for
2023-2026: QI packs with integral QI plans and materials tailored to audiences
such as maternity commissioners, police and teachers; reviewing whether
recommendations are implemented; work on sudden unexpected death in infancy and
on self-harm and suicide) and widely published safer-sleep advice; the words,
organisations and people are invented. Every organisation name and code is
fictional, and every address is at example.org.

``load_qipacks_demo(home)`` is idempotent: organisations are found by code, pages
by slug, uptake records by (recommendation, organisation), devices by user, so a
rerun adds nothing and leaves what someone changed alone. Response due dates are
set relative to the day the packs are first created (some past, some to come),
and uptake history is backdated over the six months before that day, so the
dashboards have trends to show. Run it after ``website.demo`` and
``learning.demo``.

The two demo QI leads get a password (random, made once, kept in
``VAR_DIR/demo-qi-leads.json`` so ``make run`` can print it), an authenticator
app device with a fixed key (printed, so anyone can add it to an app) and ten
one-time backup codes (printed while unused; new ones are made once all are
used).
"""

from __future__ import annotations

import hashlib
import json
import random
import secrets
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from wagtail.models import Page

from website.demo import _rich
from website.models import Audience, HomePage, Membership, Organisation, Theme

from .models import (
    QIPackIndexPage,
    QIPackPage,
    QIPackRelated,
    Recommendation,
    UptakeChange,
    UptakeRecord,
    UptakeStatus,
)

S = UptakeStatus

# --- Organisations ---------------------------------------------------------------
# Added to the 14 that ``website.demo`` makes, for 40 across all seven regions and
# every type. (name, type, region, code)
ORGANISATIONS = [
    ("Marlbrook and Vale CDOP", "cdop", "mid", "CDOP-MBV"),
    ("Fens and Coast Child Death Overview Panel", "cdop", "eoe", "CDOP-FNC"),
    ("Downs and Weald CDOP", "cdop", "se", "CDOP-DNW"),
    ("Mersey Moss CDOP", "cdop", "nw", "CDOP-MMS"),
    ("Irwell Valley Integrated Care Board", "icb", "nw", "ICB-IRV"),
    ("Thames Crossing Integrated Care Board", "icb", "lon", "ICB-TXC"),
    ("Severn Moor Integrated Care Board", "icb", "sw", "ICB-SVM"),
    ("Wolds and Humber Integrated Care Board", "icb", "ney", "ICB-WHB"),
    ("Ribble Bridge Hospitals NHS Foundation Trust", "nhs_trust", "nw", "TR-RBB"),
    ("Charnwood Forest Community NHS Trust", "nhs_trust", "mid", "TR-CFC"),
    ("Ouse Meadows Women's and Children's NHS Trust", "nhs_trust", "eoe", "TR-OMW"),
    ("Quantock Hills Healthcare NHS Trust", "nhs_trust", "sw", "TR-QHH"),
    ("Teesmouth Community Health NHS Trust", "nhs_trust", "ney", "TR-TCH"),
    ("Irwell Valley Borough Council", "local_authority", "nw", "LA-IRV"),
    ("Marlbrook County Council", "local_authority", "mid", "LA-MBK"),
    ("Broadland Fens District Council", "local_authority", "eoe", "LA-BRF"),
    ("Thameside London Borough", "local_authority", "lon", "LA-THS"),
    ("Weald Downs County Council", "local_authority", "se", "LA-WDD"),
    ("Marlbrook Constabulary", "police", "mid", "POL-MBK"),
    ("Mersey Moss Police", "police", "nw", "POL-MMS"),
    ("Fens and Coast Constabulary", "police", "eoe", "POL-FNC"),
    ("Pendle Edge Learning Trust", "school", "nw", "SCH-PEL"),
    ("Three Spires Multi-Academy Trust", "school", "mid", "SCH-TSP"),
    ("Riverside Learning Partnership", "school", "lon", "SCH-RLP"),
    ("Lantern House Children's Hospice", "other", "nw", "OTH-LHH"),
    ("Westcombe Coroner's Service", "other", "sw", "OTH-WCS"),
]

# Organisations left without a named lead, so escalation's "nobody to tell" shows.
WITHOUT_NAMED_LEAD = {"SCH-BWA", "OTH-LHH", "OTH-WCS", "SCH-RLP", "POL-FNC"}
LEAD_FIRST = ["Helen", "Marcus", "Priya", "Owen", "Ruth", "Daniel", "Amara", "Ian"]
LEAD_LAST = ["Marsh", "Adebayo", "Kaur", "Fletcher", "Nowak", "Shaw", "Bell", "Ito"]

# The two QI leads who can sign in at /qi/ (accounts made by ``website.demo``).
QI_LEADS = [("qi.northshire", "CDOP-NSH"), ("qi.riverside", "RRC")]


def seed_organisations() -> None:
    for name, org_type, region, code in ORGANISATIONS:
        Organisation.objects.get_or_create(
            code=code, defaults={"name": name, "type": org_type, "region": region}
        )
    for n, organisation in enumerate(Organisation.objects.order_by("code")):
        if organisation.code in WITHOUT_NAMED_LEAD or organisation.named_lead_email:
            continue
        first = LEAD_FIRST[n % len(LEAD_FIRST)]
        last = LEAD_LAST[(n * 3) % len(LEAD_LAST)]
        organisation.named_lead_name = f"{first} {last}"
        organisation.named_lead_email = (
            f"{first.lower()}.{last.lower()}@{organisation.code.lower()}.example.org"
        )
        organisation.save(update_fields=["named_lead_name", "named_lead_email"])


# --- Packs ---------------------------------------------------------------------------

INDEX = {
    "title": "QI packs",
    "slug": "qi-packs",
    "intro": "Quality improvement packs turn what child death reviews find into "
    "action: a QI plan to follow, material for each professional group, and "
    "recommendations organisations tell us they have acted on.",
}


def _material(audience: str, heading: str, *paragraphs: str, bullets=()) -> dict:
    body = _rich(*paragraphs)
    if bullets:
        body += "<ul>" + "".join(f"<li>{b}</li>" for b in bullets) + "</ul>"
    return {
        "type": "material",
        "value": {"audience": audience, "heading": heading, "body": body},
    }


def _measure(kind: str, name: str, definition: str) -> dict:
    return {
        "type": "measure",
        "value": {"kind": kind, "name": name, "definition": definition},
    }


def _change(title: str, description: str) -> dict:
    return {
        "type": "change_idea",
        "value": {"title": title, "description": _rich(description)},
    }


def _pdsa(title: str, plan: str, do: str, study: str, act: str) -> dict:
    return {
        "type": "pdsa",
        "value": {"title": title, "plan": plan, "do": do, "study": study, "act": act},
    }


# Each recommendation: (reference, text, applies to, priority, days from the day
# the pack is made to its response due date, share of organisations responding).
PACKS = [
    {
        "slug": "safer-sleep-sudden-unexpected-death-infancy",
        "title": "Safer sleep: learning from sudden unexpected deaths in infancy",
        "summary": "A QI pack for the services that meet families with babies: "
        "how to make every contact count for safer sleep, and how to tell whether "
        "the changes are working.",
        "report_title": "Sudden and unexpected deaths in infancy and childhood: a "
        "national thematic review (demonstration)",
        "report_published": date(2025, 10, 14),
        "report_url": "https://www.example.org/reports/sudden-unexpected-deaths",
        "themes": ["safe-sleep", "neonatal-care", "bereaved-families"],
        "audiences": ["health-visitors", "midwives", "commissioners", "police"],
        "introduction": _rich(
            "Child death overview panels review every sudden and unexpected death "
            "of a baby. Again and again they find the same things: a baby asleep "
            "on a sofa or in an adult bed, often after a change in the family's "
            "routine, and advice that had been given once but not revisited when "
            "circumstances changed.",
            "This pack helps commissioners, maternity and health visiting teams "
            "and the police act on that learning together. It sets out a QI plan "
            "you can adapt, material for each group, and the recommendations we "
            "ask organisations to respond to.",
        ),
        "qi_plan": [
            {
                "type": "aim",
                "value": "Within 12 months, every family with a baby has a "
                "recorded safer-sleep conversation at birth, at the new-birth "
                "visit and whenever their circumstances change.",
            },
            _measure(
                "outcome",
                "Families who can describe safer-sleep advice",
                "Share of parents who, asked at the 6 to 8 week review, can name "
                "three safer-sleep steps. Sample of 20 families a month.",
            ),
            _measure(
                "process",
                "Safer-sleep conversations recorded",
                "Share of new-birth visits with a safer-sleep assessment recorded "
                "in the child's record. Monthly audit.",
            ),
            _measure(
                "balancing",
                "Length of the new-birth visit",
                "Median visit time, so the added conversation does not crowd out "
                "other care.",
            ),
            _change(
                "Ask about the plan for every sleep",
                "Ask where the baby will sleep tonight, and where they will sleep if "
                "the family is away from home, rather than giving advice in general "
                "terms.",
            ),
            _change(
                "Flag changes in circumstances",
                "Agree triggers (a move, a new partner, a parent unwell, a family "
                "event) that prompt the conversation again.",
            ),
            _pdsa(
                "A prompt in the new-birth visit template",
                "One health visiting team adds a safer-sleep prompt to its visit "
                "template for four weeks. We predict recording rises above 80%.",
                "The team used the prompt at 46 visits.",
                "Recording rose from about half of visits to 41 of 46; the visits "
                "took a median two minutes longer.",
                "Keep the prompt, add the 'circumstances changed' trigger, and try "
                "it in a second team.",
            ),
        ],
        "materials": [
            _material(
                "health-visitors",
                "At the new-birth visit and after",
                "See where the baby sleeps, day and night, and talk it through "
                "with both parents if you can.",
                bullets=[
                    "Ask about sofas, armchairs and adult beds, and about nights away",
                    "Talk about smoking and alcohol without judgement",
                    "Record the conversation and what the family plans to do",
                ],
            ),
            _material(
                "commissioners",
                "What to ask of the services you commission",
                "Make a recorded safer-sleep conversation part of the service "
                "specification for maternity and health visiting, and ask for the "
                "process measure in this pack each quarter.",
                "Check that families who move between areas are handed over with "
                "their safer-sleep plan.",
            ),
            _material(
                "police",
                "At the home after a sudden infant death",
                "The joint agency home visit is the one chance to understand where "
                "and how the baby slept. Record the sleep environment carefully "
                "and share it with the child death review, in a way that respects "
                "a grieving family.",
            ),
        ],
        "recommendations": [
            (
                "R1",
                "Commission a safer-sleep conversation, recorded in the child's "
                "record, at birth, at the new-birth visit and when a family's "
                "circumstances change.",
                ["icb"],
                "high",
                -75,
                0.85,
            ),
            (
                "R2",
                "Give midwives and health visitors a shared safer-sleep assessment "
                "and train every new starter in it within three months.",
                ["nhs_trust"],
                "high",
                -40,
                0.9,
            ),
            (
                "R3",
                "Include safer-sleep advice in family hubs and early-years settings, "
                "and in support for families facing housing changes.",
                ["local_authority"],
                "medium",
                12,
                0.6,
            ),
            (
                "R4",
                "Record the sleep environment in full for every sudden infant death "
                "reviewed, so national analysis can rely on it.",
                ["cdop"],
                "medium",
                -20,
                0.8,
            ),
            (
                "R5",
                "Use a standard record of the sleep environment at the joint agency "
                "home visit, and share it with the child death review.",
                ["police"],
                "medium",
                45,
                0.5,
            ),
        ],
        "related": [
            ("safety-messages", "safer-sleep"),
            ("safety-messages", "bed-sharing-alcohol-smoking"),
            ("learning", "sudic-training-module-outline"),
        ],
    },
    {
        "slug": "learning-from-child-suicide-and-self-harm",
        "title": "Learning from deaths of children and young people by suicide",
        "summary": "A QI pack for schools, health services, councils and police: "
        "noticing risk earlier, responding to self-harm well, and supporting those "
        "left behind.",
        "report_title": "Suicide in children and young people: learning from child "
        "death reviews (demonstration)",
        "report_published": date(2025, 6, 3),
        "report_url": "https://www.example.org/reports/suicide-children-young-people",
        "themes": ["suicide-self-harm", "safeguarding"],
        "audiences": ["schools", "gps", "police", "commissioners"],
        "introduction": _rich(
            "When a child or young person dies by suicide, reviews often find that "
            "several services each knew part of the picture: a school had noticed "
            "a change, a GP had seen the young person, a friend or sibling was "
            "worried. Few had the whole story.",
            "This pack brings together what panels have learned, with partners who "
            "work with schools and early years, so that organisations can join up "
            "what they know and act on it sooner.",
        ),
        "qi_plan": [
            {
                "type": "aim",
                "value": "Every young person who attends hospital after self-harm "
                "is followed up within 72 hours, and their school knows how to "
                "support their return.",
            },
            _measure(
                "outcome",
                "Repeat attendances after self-harm",
                "Young people attending again within six months, per quarter.",
            ),
            _measure(
                "process",
                "Follow-up within 72 hours",
                "Share of attendances for self-harm followed up by a named "
                "professional within 72 hours.",
            ),
            _measure(
                "balancing",
                "Waiting times for other referrals",
                "Time to first appointment for other referrals to children's mental "
                "health services.",
            ),
            _change(
                "A named contact in every school",
                "Each school names a member of staff who hears from health services "
                "(with consent) when a pupil has self-harmed.",
            ),
            _change(
                "Postvention plans agreed in advance",
                "Schools and councils agree before they need it how they will "
                "support pupils and staff after a death.",
            ),
            _pdsa(
                "Telephone follow-up after an emergency attendance",
                "One hospital calls every young person within 72 hours of an "
                "attendance for self-harm, for six weeks.",
                "31 young people were called; 27 were reached.",
                "Most welcomed the call; some asked for a text first. Staff time "
                "was about 20 minutes a call.",
                "Send a text before calling; extend to weekends.",
            ),
        ],
        "materials": [
            _material(
                "schools",
                "For teachers and designated safeguarding leads",
                "Changes in attendance, friendships or online behaviour can be the "
                "first sign. Know who your named contact is, and how to ask a young "
                "person directly and safely about thoughts of suicide.",
                bullets=[
                    "Have a plan for a pupil's return after self-harm",
                    "Agree your postvention plan before you need it",
                ],
            ),
            _material(
                "gps",
                "For GPs and primary care teams",
                "Young people may come with something else. Ask about mood and "
                "self-harm, involve parents or carers where it is safe, and make "
                "sure a follow-up appointment is booked before they leave.",
            ),
            _material(
                "police",
                "For police officers and staff",
                "After a young person's death, think about the friends, siblings "
                "and online contacts who may be at risk, and share concerns quickly "
                "with safeguarding partners.",
            ),
        ],
        "recommendations": [
            (
                "R1",
                "Every school has a named contact for self-harm and an agreed "
                "postvention plan, reviewed each year.",
                ["school", "local_authority"],
                "high",
                -50,
                0.8,
            ),
            (
                "R2",
                "Follow up every child or young person within 72 hours of a hospital "
                "attendance for self-harm.",
                ["icb", "nhs_trust"],
                "high",
                -15,
                0.75,
            ),
            (
                "R3",
                "Include education and children's mental health services in every "
                "review of a death by suicide.",
                ["cdop"],
                "medium",
                21,
                0.55,
            ),
            (
                "R4",
                "Agree how police and children's services share concerns about "
                "friends and siblings after a young person's death.",
                ["police", "local_authority"],
                "medium",
                60,
                0.35,
            ),
            (
                "R5",
                "Commission bereavement support for brothers, sisters and friends "
                "after a death by suicide.",
                ["icb", "other"],
                "low",
                90,
                0.0,
            ),
        ],
        "related": [
            ("learning", "crib-sheet-involving-parents"),
            ("learning", "what-changed-in-child-death-review"),
        ],
    },
]


def _vocabulary(model, slugs):
    return list(model.objects.filter(slug__in=slugs))


def _related_page(home: HomePage, where: str, slug: str) -> Page | None:
    index = Page.objects.child_of(home).filter(slug=where).first()
    if index is None:
        return None
    return Page.objects.child_of(index).filter(slug=slug).first()


def seed_packs(home: HomePage, today: date) -> dict[str, Page]:
    index = QIPackIndexPage.objects.child_of(home).filter(slug=INDEX["slug"]).first()
    if index is None:
        index = QIPackIndexPage(**INDEX)
        home.add_child(instance=index)
        index.save_revision().publish()
        index.refresh_from_db()
    pages: dict[str, Page] = {"qi-packs": index}
    for spec in PACKS:
        page = QIPackPage.objects.child_of(index).filter(slug=spec["slug"]).first()
        if page is None:
            page = QIPackPage(
                title=spec["title"],
                slug=spec["slug"],
                summary=spec["summary"],
                report_title=spec["report_title"],
                report_published=spec["report_published"],
                report_url=spec["report_url"],
                introduction=spec["introduction"],
                qi_plan=json.dumps(spec["qi_plan"]),
                materials=json.dumps(spec["materials"]),
                last_reviewed=today,
            )
            page.themes.add(*_vocabulary(Theme, spec["themes"]))
            page.audiences.add(*_vocabulary(Audience, spec["audiences"]))
            for order, (ref, text, applies, priority, days, _rate) in enumerate(
                spec["recommendations"]
            ):
                page.recommendations.add(
                    Recommendation(
                        reference=ref,
                        text=text,
                        applies_to=applies,
                        priority=priority,
                        response_due=today + timedelta(days=days),
                        sort_order=order,
                    )
                )
            order = 0
            for where, slug in spec["related"]:
                target = _related_page(home, where, slug)
                if target is not None:
                    page.related_links.add(QIPackRelated(page=target, sort_order=order))
                    order += 1
            index.add_child(instance=page)
            page.save_revision().publish()
            page.refresh_from_db()
        pages[spec["slug"]] = page
    return pages


# --- Uptake histories ---------------------------------------------------------------

PATH = [S.NOT_STARTED, S.PLANNED, S.IN_PROGRESS, S.IMPLEMENTED]
FINAL_WEIGHTS = [
    (S.IMPLEMENTED, 30),
    (S.IN_PROGRESS, 28),
    (S.PLANNED, 20),
    (S.NOT_STARTED, 12),
    (S.NOT_APPLICABLE, 10),
]
EVIDENCE = {
    S.PLANNED: "Agreed at the leadership meeting; an owner and a start date are set.",
    S.IN_PROGRESS: "Piloting in one team; the first audit is booked for next month.",
    S.IMPLEMENTED: "In place across the organisation. A re-audit of 20 records "
    "found it done in 18.",
}
NOT_APPLICABLE_REASON = (
    "Another organisation in our area provides this service for us; we have "
    "shared the recommendation with them."
)
HISTORY_DAYS = 180


def _status_path(rng: random.Random) -> list[str]:
    statuses, weights = zip(*FINAL_WEIGHTS, strict=True)
    final = rng.choices(statuses, weights=weights)[0]
    if final == S.NOT_APPLICABLE:
        return [S.NOT_APPLICABLE] if rng.random() < 0.7 else [S.PLANNED, final]
    end = PATH.index(final)
    start = rng.randint(0, end)
    return PATH[start : end + 1]


def seed_uptake(packs: list[QIPackPage], today: date) -> int:
    """Backdated histories for each applicable (recommendation, organisation)."""
    tz = timezone.get_current_timezone()
    start = datetime.combine(today - timedelta(days=HISTORY_DAYS), time(9), tz)
    organisations = list(Organisation.objects.order_by("code"))
    leads = {
        m.organisation_id: m.user
        for m in Membership.objects.filter(role=Membership.Role.QI_LEAD)
        .select_related("user")
        .order_by("pk")
    }
    rates = {
        (spec["slug"], r[0]): r[5] for spec in PACKS for r in spec["recommendations"]
    }
    made = 0
    for pack in packs:
        recommendations = list(pack.recommendations.all())
        existing = set(
            UptakeRecord.objects.filter(recommendation__in=recommendations).values_list(
                "recommendation_id", "organisation_id"
            )
        )
        for recommendation in recommendations:
            rate = rates.get((pack.slug, recommendation.reference), 0.6)
            for organisation in organisations:
                if organisation.type not in recommendation.applies_to:
                    continue
                if (recommendation.pk, organisation.pk) in existing:
                    continue
                seed = f"{pack.slug}:{recommendation.reference}:{organisation.code}"
                rng = random.Random(hashlib.sha256(seed.encode()).hexdigest())  # noqa: S311
                if rng.random() >= rate:
                    continue  # no response yet
                _history(recommendation, organisation, rng, start, today, leads)
                made += 1
    return made


def _history(recommendation, organisation, rng, start, today, leads) -> None:
    statuses = _status_path(rng)
    span = (HISTORY_DAYS - 3) * 24 * 3600
    moments = sorted(start + timedelta(seconds=rng.randint(0, span)) for _ in statuses)
    user = leads.get(organisation.pk)
    name = (user.get_full_name() or user.get_username()) if user else "QI lead"
    final = statuses[-1]
    reason = NOT_APPLICABLE_REASON if final == S.NOT_APPLICABLE else ""
    record = UptakeRecord.objects.create(
        recommendation=recommendation,
        organisation=organisation,
        status=final,
        evidence=EVIDENCE.get(final, ""),
        not_applicable_reason=reason,
        next_review=today + timedelta(days=rng.choice([30, 60, 90]))
        if final in (S.PLANNED, S.IN_PROGRESS)
        else None,
        updated_by=user,
        created_at=moments[0],
        updated_at=moments[-1],
    )
    old = ""
    changes = []
    for status, moment in zip(statuses, moments, strict=True):
        changes.append(
            UptakeChange(
                record=record,
                recommendation=recommendation,
                organisation=organisation,
                changed_by=user,
                changed_by_name=name,
                changed_at=moment,
                old_status=old,
                new_status=status,
                evidence=EVIDENCE.get(status, ""),
                not_applicable_reason=NOT_APPLICABLE_REASON
                if status == S.NOT_APPLICABLE
                else "",
            )
        )
        old = status
    UptakeChange.objects.bulk_create(changes)


# --- QI lead logins ------------------------------------------------------------------


def _credentials_path():
    return settings.VAR_DIR / "demo-qi-leads.json"


def _saved_passwords() -> dict[str, str]:
    try:
        return json.loads(_credentials_path().read_text())
    except (OSError, ValueError):
        return {}


def demo_totp_key(username: str) -> str:
    """The fixed (published) authenticator key of a demo QI lead, as hex."""
    return hashlib.sha1(f"cdr-demo-totp:{username}".encode()).hexdigest()  # noqa: S324


def seed_qi_leads() -> None:
    """Passwords, an authenticator app (fixed key) and backup codes for the leads."""
    from django_otp.plugins.otp_static.models import StaticToken
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from . import otp

    user_model = get_user_model()
    passwords = _saved_passwords()
    changed = False
    for username, code in QI_LEADS:
        organisation = Organisation.objects.get(code=code)
        user = user_model.objects.filter(username=username).first()
        if user is None:
            user = user_model.objects.create(
                username=username, email=f"{username}@example.org"
            )
        Membership.objects.get_or_create(
            user=user,
            organisation=organisation,
            defaults={"role": Membership.Role.QI_LEAD},
        )
        if not user.has_usable_password():
            password = secrets.token_urlsafe(12)
            user.set_password(password)
            user.save(update_fields=["password"])
            passwords[username] = password
            changed = True
        if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
            TOTPDevice.objects.create(
                user=user,
                name=otp.APP_DEVICE_NAME,
                confirmed=True,
                key=demo_totp_key(username),
            )
        if not StaticToken.objects.filter(
            device__user=user, device__confirmed=True
        ).exists():
            otp.make_backup_codes(user)
    if changed:
        path = _credentials_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(passwords, indent=2) + "\n")
        path.chmod(0o600)


def demo_logins() -> list[dict]:
    """What ``make run`` prints for each demo QI lead (empty if not seeded)."""
    from django_otp.plugins.otp_static.models import StaticToken
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from . import otp

    passwords = _saved_passwords()
    logins = []
    for username, code in QI_LEADS:
        user = get_user_model().objects.filter(username=username).first()
        device = (
            TOTPDevice.objects.filter(user=user, confirmed=True).first()
            if user
            else None
        )
        if user is None or device is None:
            continue
        organisation = Organisation.objects.filter(code=code).first()
        logins.append(
            {
                "username": username,
                "organisation": organisation.name if organisation else code,
                "password": passwords.get(
                    username,
                    "(set earlier; change it with manage.py changepassword)",
                ),
                "totp_key": otp.key_for_typing(device),
                "backup_codes": [
                    otp.format_backup_code(t)
                    for t in StaticToken.objects.filter(
                        device__user=user, device__confirmed=True
                    )
                    .order_by("pk")
                    .values_list("token", flat=True)
                ],
            }
        )
    return logins


# --- All of it ------------------------------------------------------------------------


@transaction.atomic
def load_qipacks_demo(home: HomePage, today: date | None = None) -> dict[str, Page]:
    """Organisations, the two packs, uptake histories and the QI lead logins."""
    today = today or timezone.localdate()
    seed_organisations()
    pages = seed_packs(home, today)
    seed_uptake([pages[spec["slug"]] for spec in PACKS], today)
    seed_qi_leads()
    from .data_quality import seed_data_quality_demo

    seed_data_quality_demo(today=today)
    return pages
