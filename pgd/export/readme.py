"""What each file of the export holds, in plain Dutch (B1) and English: the one list the
archive writes its files and columns from, and the README.txt inside it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class FileDoc:
    name: str
    nl: str
    en: str
    columns: tuple[tuple[str, str, str], ...] = ()  # (column, Dutch, English)


_TIME = ("UTC-tijd (ISO 8601)", "UTC time (ISO 8601)")

PROFILE = (
    ("name", "uw naam", "your name"),
    ("birth_date", "uw geboortedatum (jjjj-mm-dd), leeg als u die niet gaf", "date of birth"),
    ("email", "het e-mailadres waarmee u inlogt", "the e-mail address you log in with"),
    ("language", "de taal van de app (nl of en)", "the app's language (nl or en)"),
    ("account_created_utc", "wanneer u het account maakte, " + _TIME[0], "account created"),
    ("login_code_on", "ja: u logt in met een code uit een app", "yes: you log in with a code"),
)
SETTINGS = (
    ("height_cm", "uw lengte in cm (voor de BMI)", "your height in cm (for the BMI)"),
    ("own_bp_target_systolic", "uw eigen streefwaarde bovendruk", "your own upper target"),
    ("own_bp_target_diastolic", "uw eigen streefwaarde onderdruk", "your own lower target"),
    ("glucose_unit", "de eenheid voor bloedsuiker (mmol of mgdl)", "the blood sugar unit"),
)
AGREED_TARGETS = (
    ("systolic", "afgesproken bovendruk: goed als lager", "agreed upper pressure: below it"),
    ("diastolic", "afgesproken onderdruk: goed als lager", "agreed lower pressure: below it"),
    ("agreed_with", "met wie u het afsprak", "the care provider you agreed it with"),
    ("profession", "beroep van die zorgverlener", "their profession"),
    ("day", "de dag van de afspraak", "the day it was agreed"),
    ("note", "de toelichting", "the note"),
    ("changed_by_you", "ja: u veranderde het zelf daarna", "yes: you changed it afterwards"),
    ("recorded_utc", "wanneer het werd opgeslagen, " + _TIME[0], "when it was saved"),
)
MEASUREMENTS = (
    ("id", "het nummer van de meting", "the reading's number"),
    ("type", "blood_pressure (bloeddruk), weight (gewicht) of glucose (bloedsuiker)", "kind"),
    ("taken_at_utc", "wanneer u mat, " + _TIME[0], "when you measured, " + _TIME[1]),
    ("date", "de dag in Nederlandse tijd (jjjj-mm-dd)", "the day in Dutch local time"),
    ("time", "het uur in Nederlandse tijd (uu:mm)", "the time in Dutch local time"),
    ("systolic", "bovendruk in mmHg", "upper pressure (mmHg)"),
    ("diastolic", "onderdruk in mmHg", "lower pressure (mmHg)"),
    ("pulse", "hartslag per minuut", "pulse per minute"),
    ("arm", "left (links) of right (rechts)", "arm"),
    ("weight_kg", "gewicht in kg", "weight (kg)"),
    ("glucose_mmol", "bloedsuiker in mmol/L", "blood sugar (mmol/L)"),
    ("moment", "het moment van de bloedsuiker (bijvoorbeeld before_breakfast)", "moment"),
    ("note", "uw notitie", "your note"),
    ("source", "hoe de meting in de app kwam (web, csv, api, demo)", "how it came in"),
)
GOALS = (
    ("id", "het nummer van het doel", "the goal's number"),
    ("kind", "measurement (een meting) of activity (iets wat u doet)", "kind"),
    ("text", "het doel in uw woorden", "the goal in your words"),
    ("why", "waarom u het wilt", "why you want it"),
    ("state", "active, paused, achieved, stopped, proposed of declined", "state"),
    ("start", "de eerste dag", "first day"),
    ("until", "de laatste dag, als u die koos", "last day, if chosen"),
    ("metric", "welke meting (bij een meetdoel)", "which measurement"),
    ("direction", "down: lager is beter; up: hoger is beter", "direction"),
    ("target", "de waarde die u wilt halen", "the value to reach"),
    ("mode", "done: afvinken per dag; count: een aantal per dag", "check-in mode"),
    ("per_week", "hoe vaak of hoeveel per week", "how often or how much a week"),
    ("unit", "wat u telt (bijvoorbeeld minuten)", "what is counted"),
    ("proposed_by", "de zorgverlener die het doel voorstelde", "care provider who proposed it"),
)
GOAL_STEPS = (
    ("goal_id", "het doel (id in goals.csv)", "the goal (id in goals.csv)"),
    ("text", "de kleine stap", "the small step"),
    ("done", "ja: gedaan", "yes: done"),
)
GOAL_HISTORY = (
    ("goal_id", "het doel (id in goals.csv)", "the goal"),
    ("at_utc", "wanneer, " + _TIME[0], "when, " + _TIME[1]),
    ("event", "wat er gebeurde (created, edited, paused, ...)", "what happened"),
)
GOAL_CHECKINS = (
    ("goal_id", "het doel (id in goals.csv)", "the goal"),
    ("date", "de dag", "the day"),
    ("count", "hoe vaak of hoeveel die dag", "how often or how much that day"),
)
QUESTIONS = (
    ("id", "het nummer van de vraag", "the question's number"),
    ("text", "uw vraag", "your question"),
    ("written_utc", "wanneer u de vraag schreef, " + _TIME[0], "when you wrote it"),
    ("discussed", "ja: besproken", "yes: discussed"),
    ("discussed_utc", "wanneer besproken, " + _TIME[0], "when discussed"),
    ("discussed_with", "met wie besproken", "discussed with"),
)
PROPOSALS = (
    ("id", "het nummer van het doel (ook in goals.csv als u het aannam)", "the goal's number"),
    ("text", "het voorgestelde doel", "the proposed goal"),
    ("why", "waarom", "why"),
    ("per_week", "hoe vaak per week", "how often a week"),
    ("proposed_by", "de zorgverlener", "the care provider"),
    ("proposed_utc", "wanneer voorgesteld, " + _TIME[0], "when proposed"),
    ("state", "proposed (open), active (aangenomen), declined (afgewezen), ...", "state"),
    ("answered_utc", "wanneer u antwoordde, " + _TIME[0], "when you answered"),
)
SHARES = (
    ("id", "het nummer van de deling", "the share's number"),
    ("care_provider", "met wie u deelde", "who you shared with"),
    ("profession", "beroep", "profession"),
    ("practice", "praktijk", "practice"),
    ("categories", "wat u deelde (zie onder)", "what you shared (see below)"),
    ("data_from_utc", "metingen vanaf deze tijd, leeg: alles", "readings from this time on"),
    ("expires_utc", "tot wanneer, " + _TIME[0], "until when"),
    ("created_utc", "wanneer u het deelde, " + _TIME[0], "when you shared"),
    ("revoked_utc", "wanneer u het stopte, leeg: niet gestopt", "when you stopped it"),
    ("status", "active (loopt), expired (verlopen) of revoked (gestopt)", "status"),
)
SHARE_CHANGES = (
    ("share_id", "de deling (id in shares.csv)", "the share (id in shares.csv)"),
    ("changed_utc", "wanneer u het veranderde, " + _TIME[0], "when you changed it"),
    ("categories_before", "wat u deelde voor de verandering", "categories before"),
    ("categories_after", "wat u deelde na de verandering", "categories after"),
    ("expires_before_utc", "tot wanneer, voor de verandering", "until, before"),
    ("expires_after_utc", "tot wanneer, na de verandering", "until, after"),
)
MEASURING_WEEKS = (
    ("start_day", "dag 1 van de meetweek (jjjj-mm-dd), leeg: gevraagd, nog niet begonnen", "day 1"),
    ("end_day", "de laatste dag (dag 7)", "the last day (day 7)"),
    ("requested_by", "de zorgverlener die erom vroeg, leeg: u begon zelf", "who asked for it"),
    ("requested_utc", "wanneer erom gevraagd werd, " + _TIME[0], "when it was asked for"),
    ("started_utc", "wanneer u de week begon, " + _TIME[0], "when you started it"),
    ("stopped_utc", "wanneer de week gestopt werd, leeg: niet gestopt", "when it was stopped"),
)
API_KEYS = (
    ("name", "de naam die u de sleutel gaf", "the name you gave the key"),
    ("prefix", "het begin van de sleutel (de sleutel zelf bewaart de app niet)", "key prefix"),
    ("created_utc", "wanneer u de sleutel maakte, " + _TIME[0], "when you made it"),
    ("last_used_utc", "wanneer hij het laatst werkte, leeg: nooit", "when it was last used"),
)
ACCESS_LOG = (
    ("at_utc", "wanneer, " + _TIME[0], "when, " + _TIME[1]),
    ("care_provider", "wie keek of schreef", "who looked or wrote"),
    ("profession", "beroep", "profession"),
    ("categories", "welke gegevens (zie onder)", "which data (see below)"),
    ("action", "wat de zorgverlener deed (zie onder)", "what they did (see below)"),
    (
        "outcome",
        "allowed: het mocht (u deelde dit); refused: geweigerd, de zorgverlener zag niets",
        "allowed: permitted (you shared it); refused: refused, the care provider saw nothing",
    ),
)


def _pair(stem: str, nl: str, en: str, columns: tuple[tuple[str, str, str], ...]) -> list[FileDoc]:
    return [
        FileDoc(f"{stem}.csv", nl + " Als tabel.", en + " As a table.", columns),
        FileDoc(
            f"{stem}.json",
            nl + " Hetzelfde als JSON, met dezelfde namen.",
            en + " The same as JSON, same names.",
        ),
    ]


FILES: tuple[FileDoc, ...] = (
    FileDoc("README.txt", "Dit bestand: uitleg over alle bestanden.", "This file."),
    *_pair("profile", "Uw gegevens.", "Your details.", PROFILE),
    *_pair("settings", "Uw instellingen.", "Your settings.", SETTINGS),
    *_pair(
        "agreed_targets",
        "Streefwaarden voor de bloeddruk die u met een zorgverlener afsprak, nieuwste eerst.",
        "Blood pressure targets agreed with a care provider, newest first.",
        AGREED_TARGETS,
    ),
    *_pair(
        "measurements",
        "Al uw metingen, oudste eerst: bloeddruk, gewicht en bloedsuiker.",
        "All your readings, oldest first.",
        MEASUREMENTS,
    ),
    FileDoc(
        "goals.csv",
        "Al uw doelen, ook gestopte en voorgestelde. Als tabel.",
        "All your goals. As a table.",
        GOALS,
    ),
    FileDoc(
        "goals.json",
        "Al uw doelen met hun stappen, geschiedenis en afvinkmomenten in een bestand.",
        "All your goals with their steps, history and check-ins.",
    ),
    FileDoc("goal_steps.csv", "De kleine stappen van elk doel.", "Steps of each goal.", GOAL_STEPS),
    FileDoc(
        "goal_history.csv",
        "Wat er met elk doel gebeurde, en wanneer.",
        "What happened to each goal.",
        GOAL_HISTORY,
    ),
    FileDoc(
        "goal_checkins.csv",
        "Wat u per dag afvinkte bij een doel.",
        "Check-ins per goal and day.",
        GOAL_CHECKINS,
    ),
    *_pair("questions", "Uw vragen voor het consult.", "Your consult questions.", QUESTIONS),
    *_pair(
        "proposals",
        "Doelen die een zorgverlener u voorstelde, en uw antwoord.",
        "Goals a care provider proposed, and your answer.",
        PROPOSALS,
    ),
    *_pair(
        "shares",
        "Met wie u uw gegevens deelde of deelt, ook gestopte delingen.",
        "Who you shared with, also stopped shares.",
        SHARES,
    ),
    *_pair(
        "share_changes",
        "Elke verandering die u maakte aan een deling.",
        "Every change you made to a share.",
        SHARE_CHANGES,
    ),
    *_pair(
        "measuring_weeks",
        "Uw thuismeetweken voor de bloeddruk en de vragen erom, ook gestopte.",
        "Your blood pressure measuring weeks and requests for one, also stopped ones.",
        MEASURING_WEEKS,
    ),
    *_pair(
        "api_keys",
        "De sleutels voor apps (zoals een bloeddrukmeter) die nu werken.",
        "The keys for apps (such as a meter) that work now.",
        API_KEYS,
    ),
    *_pair(
        "access_log",
        "Welke zorgverlener uw gegevens bekeek of iets schreef, nieuwste eerst.",
        "Which care provider looked at or wrote your data, newest first.",
        ACCESS_LOG,
    ),
    FileDoc(
        "fhir/everything.json",
        "Uw hele dossier als FHIR R4 Bundle: de standaard die huisartssystemen lezen. "
        "Een andere app of uw huisarts kan dit inlezen.",
        "Your whole record as a FHIR R4 Bundle, the standard GP systems read.",
    ),
)

CATEGORIES = (
    ("blood_pressure", "bloeddruk", "blood pressure"),
    ("weight", "gewicht", "weight"),
    ("glucose", "bloedsuiker", "blood sugar"),
    ("goals", "doelen en vragen", "goals and questions"),
    ("profile", "naam en geboortedatum", "name and date of birth"),
)

ACTIONS = (
    ("view_summary", "bekeek het overzicht voor het consult", "viewed the pre-consult summary"),
    ("view_chart", "bekeek een grafiek", "viewed a chart"),
    ("api_read", "las via het praktijksysteem", "read through the practice system"),
    ("view_worklist", "zag u in de lijst 'mijn patiënten'", "saw you in 'my patients'"),
    ("fhir_read", "las via FHIR (het huisartssysteem)", "read through FHIR"),
    ("report_download", "printte of downloadde het overzicht", "printed or downloaded"),
    ("agree_target", "sprak een streefwaarde af", "agreed a target"),
    ("request_week", "vroeg om een meetweek", "asked for a measuring week"),
    ("mark_discussed", "zette een vraag op besproken", "marked a question discussed"),
    ("propose_goal", "stelde een doel voor", "proposed a goal"),
)


def readme_text(made_at: datetime) -> str:
    """README.txt: every file and column, first in Dutch (B1), then in English."""
    out = [
        "UW GEGEVENS UIT HET PERSOONLIJK GEZONDHEIDSDOSSIER (PGD)",
        "",
        f"Gemaakt op {made_at:%Y-%m-%d %H:%M} UTC.",
        "",
        "Dit zijn alle gegevens die de app over u bewaart. U hebt er recht op",
        "(AVG, artikel 15 en 20). U kunt ze bewaren of meenemen naar een andere app.",
        "Bewaar dit bestand goed: er staan gezondheidsgegevens in.",
        "",
        "Hoe leest u de bestanden?",
        "- Een .csv-bestand is een tabel. Open het met Excel, LibreOffice of Numbers.",
        "  De kolommen staan gescheiden door een puntkomma (;).",
        "  Getallen hebben een komma: 7,4. Ja of nee staat als ja of nee.",
        "- Een .json-bestand is voor computers en andere apps.",
        "- Tijden met _utc staan in UTC (Nederlandse wintertijd min 1 uur,",
        "  zomertijd min 2 uur). Dagen staan als jaar-maand-dag: 2026-11-03.",
        "",
        "Gegevens (categories):",
        *(f"  {code} = {nl}" for code, nl, _en in CATEGORIES),
        "",
        "Wat een zorgverlener deed (action in access_log):",
        *(f"  {code} = {nl}" for code, nl, _en in ACTIONS),
        "",
        "DE BESTANDEN",
        "",
    ]
    for doc in FILES:
        out.append(f"Bestand: {doc.name}")
        out.append(f"  {doc.nl}")
        for column, nl, _en in doc.columns:
            out.append(f"  - {column}: {nl}")
        out.append("")
    out += [
        "In de bestanden staan geen gegevens van andere mensen. Namen van zorgverleners",
        "staan er alleen in als u met hen deelde of als zij uw gegevens bekeken.",
        "Uw wachtwoord en de sleutels van de app staan er niet in.",
        "",
        "",
        "ENGLISH",
        "",
        "All the data this app holds about you (GDPR articles 15 and 20). CSV files use a",
        "semicolon (;) between columns and a decimal comma; yes/no as 'ja'/'nee'. Columns",
        "ending in _utc are UTC times (ISO 8601); days are year-month-day.",
        "",
        "Categories: " + ", ".join(f"{code} = {en}" for code, _nl, en in CATEGORIES),
        "Actions: " + ", ".join(f"{code} = {en}" for code, _nl, en in ACTIONS),
        "",
    ]
    for doc in FILES:
        out.append(f"File: {doc.name}")
        out.append(f"  {doc.en}")
        for column, _nl, en in doc.columns:
            out.append(f"  - {column}: {en}")
        out.append("")
    out.append("No data of other people is included; no password, no keys.")
    return "\r\n".join(out) + "\r\n"
