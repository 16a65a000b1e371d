"""One interpretation, one place: outside pgd/clinical no module compares a value with a
clinical limit, and the words say the same to the patient in Dutch and in English."""

from __future__ import annotations

import ast
from pathlib import Path

from flask import Flask

from pgd import clinical
from pgd.clinical import words

PGD = Path(__file__).resolve().parents[2] / "pgd"
# Numbers that are (or were) clinical limits: 135/85, 150, 180/110, 140/90, 4.0, 3.0,
# 3.9, 4.5, 8, 9, 10, 13.9, 15, BMI 18.5/25/30/35/40.
CLINICAL_NUMBERS = {135, 85, 150, 180, 110, 140, 90, 4.0, 3.0, 3.9, 4.5, 8.0, 9.0, 10.0}
CLINICAL_NUMBERS |= {13.9, 15, 18.5, 25, 30, 35, 40}


def _is_len(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and getattr(node.func, "id", "") == "len"


def _is_abs(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and getattr(node.func, "id", "") == "abs"


def _is_number(node: ast.AST) -> bool:
    """A number that could be a limit (not 0, not a float tolerance such as 1e-9)."""
    number = isinstance(node, ast.Constant) and type(node.value) in (int, float)
    return number and abs(node.value) >= 0.01  # type: ignore[union-attr]


def _offences(source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Compare):
            continue
        parts = [node.left, *node.comparators]
        if any(_is_len(p) for p in parts):
            continue  # lengths of text (passwords, codes) are not clinical values
        if any(_is_abs(p) for p in parts) and any(
            _is_number(p) or isinstance(p, ast.Subscript | ast.Name) for p in parts
        ):
            # a change judged against a limit ("about the same") is a clinical reading too
            found.append(f"{node.lineno}: {ast.unparse(node)}")
            continue
        for part in parts:
            number = isinstance(part, ast.Constant) and type(part.value) in (int, float)
            if number and part.value in CLINICAL_NUMBERS:  # type: ignore[union-attr]
                found.append(f"{node.lineno}: {ast.unparse(node)}")
            if "thresholds." in ast.unparse(part):
                found.append(f"{node.lineno}: {ast.unparse(node)}")
    return found


def test_no_module_outside_clinical_compares_with_a_clinical_limit() -> None:
    offences = {
        str(path.relative_to(PGD)): found
        for path in PGD.rglob("*.py")
        if "clinical" not in path.parts and (found := _offences(path.read_text()))
    }
    assert offences == {}


def test_the_scan_would_catch_a_comparison() -> None:
    assert _offences("x = value < 3.9\n") == ["1: value < 3.9"]
    assert _offences("ok = s >= thresholds.HOME_BP_HIGH[0]\n")
    assert _offences("ok = len(code) == 8\n") == []
    assert _offences("same = abs(diff) < 0.5\n") == ["1: abs(diff) < 0.5"]
    assert _offences("same = abs(change) < STEADY['kg']\n")


def test_words_in_dutch_and_english(app: Flask) -> None:
    verdict = clinical.bp_mean([143] * 6, [86] * 6, clinical.standard_blood_pressure(60))
    target = clinical.standard_blood_pressure(60)
    with app.test_request_context(headers={"Accept-Language": "nl"}):
        said = words.patient(verdict, target)
        assert said.meaning == (
            "Uw gemiddelde bloeddruk thuis was 143/86. Dat is hoger dan 135/85."
        )
        assert "praktijkondersteuner" in said.next_step
        assert said.link is not None
        assert said.link.url.startswith("https://www.thuisarts.nl/")
        assert words.target_source(target) == "NHG-streefwaarde voor thuismeting"
        hypo = words.patient(clinical.glucose_reading(2.9, "fasting"))
        assert "2,9" in hypo.meaning
        assert "onder 4" in hypo.meaning
    with app.test_request_context(headers={"Accept-Language": "en"}):
        said = words.patient(verdict, target)
        assert said.meaning == (
            "Your average blood pressure at home was 143/86. That is higher than 135/85."
        )
        assert words.target_source(clinical.standard_blood_pressure(75)) == (
            "NHG target for home measurement, 70 years and older"
        )
        hypo = words.patient(clinical.glucose_reading(2.9, "fasting"))
        assert "2.9" in hypo.meaning
        assert "below 4" in hypo.meaning


def test_when_only_the_lower_number_is_high_the_words_say_so(app: Flask) -> None:
    older = clinical.standard_blood_pressure(75)
    verdict = clinical.bp_mean([143] * 6, [86] * 6, older)
    assert verdict.code == "bp_mean_high"
    with app.test_request_context(headers={"Accept-Language": "nl"}):
        said = words.patient(verdict, older)
        assert said.meaning == (
            "Uw gemiddelde bloeddruk thuis was 143/86. De bovendruk is goed, maar de "
            "onderdruk (86) is niet lager dan 85."
        )


def test_means_round_half_up_as_people_do() -> None:
    target = clinical.standard_blood_pressure(60)
    verdict = clinical.bp_mean([146, 147], [80, 81], target)
    assert (verdict.values["systolic"], verdict.values["diastolic"]) == (147, 81)
    assert words.pressure(146.5, 80.5) == "147/81"


def test_words_are_true_at_the_edge(app: Flask) -> None:
    """135/80 against 135/85: not "higher than 135/85", but "the upper number is not below"."""
    target = clinical.standard_blood_pressure(60)
    with app.test_request_context(headers={"Accept-Language": "en"}):
        edge = words.patient(clinical.bp_mean([135] * 6, [80] * 6, target), target)
        assert edge.meaning == (
            "Your average blood pressure at home was 135/80. The lower number is fine, but "
            "the upper number (135) is not below 135."
        )
        both = words.patient(clinical.bp_mean([135] * 6, [85] * 6, target), target)
        assert both.meaning.endswith("That is not below 135/85.")
        higher = words.patient(clinical.bp_mean([150] * 6, [90] * 6, target), target)
        assert higher.meaning.endswith("That is higher than 135/85.")
        single = words.patient(clinical.bp_reading(135, 80, target), target)
        assert single.headline == "Your last reading did not meet your target."
        assert single.meaning == "135/80 is not below 135/85."
        general = words.glucose_target_text("bedtime")
        assert general.endswith("(general range)")
        assert "NHG" not in general
        assert words.glucose_target_text("fasting").endswith("(NHG)")
