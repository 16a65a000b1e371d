"""Every clinical limit the app uses, each with its source. Nothing else holds a limit.

Units: blood pressure mmHg, glucose mmol/L (capillary, finger prick), BMI kg/m².
Limits are written as the guideline says them; the functions in ``verdicts`` decide
which side of an edge a value falls ("from 135" means 135 counts as high).
"""

from __future__ import annotations

# --- blood pressure, measured at home --------------------------------------------------
# NHG-Standaard Cardiovasculair risicomanagement (M84, 2019, herziening 2024), tabel
# "Afkapwaarden voor hypertensie bij verschillende meetmethoden": a home-measurement mean
# from 135/85 counts as high (the home equivalent of 140/90 at the practice).
# Thuisarts.nl "Ik wil zelf thuis mijn bloeddruk meten": "Als bij deze thuismetingen de
# gemiddelde bovendruk 135 is of hoger dan spreken we van hoge bloeddruk."
HOME_BP_HIGH = (135, 85)  # systolic or diastolic at or above: high

# NHG M84: for people of 70 and older a systolic target under 150 mmHg is acceptable
# (individual target, "als < 140 mmHg niet haalbaar is zonder bijwerkingen");
# Thuisarts.nl hoge bloeddruk: "Bent u 70 jaar of ouder? Dan is een gemiddelde bovendruk
# van onder de 150 nog goed." NHG gives 150 as a practice (office) figure; we apply it to
# the home mean on purpose, as Thuisarts does in its page on measuring at home, so that
# an older patient is not told "too high" for a mean the GP accepts. The diastolic home
# limit stays 85.
OLDER_AGE = 70  # years, from this birthday on
OLDER_HOME_BP_HIGH = (150, 85)

# NHG M84, "Hypertensieve crisis / zeer hoge bloeddruk": SBD >= 180 or DBD >= 110 mmHg
# calls for action the same day; Thuisarts.nl: "Is de bovendruk 180 of hoger terwijl u
# rustig zit? Meet dan opnieuw ... Bel dezelfde dag de huisarts."
BP_ALARM = (180, 110)  # a single reading at or above: alarming

# A mean needs several readings: Thuisarts.nl (zelf meten) asks for two readings in the
# morning and two in the evening on several days. Fewer than this: "measure more".
BP_MIN_READINGS_FOR_MEAN = 6
# A mean is judged as it is shown: whole mmHg, rounded half up (134.5 reads and counts as
# 135). A patient who reads "135/80" must never be told it is below 135.

# --- glucose, finger prick ---------------------------------------------------------------
# "Vier is de vloer" (Diabetesvereniging Nederland / Diabetesfonds, used in Dutch
# diabetes education): below 4.0 mmol/L counts as a hypo for the patient. This is stricter
# than the NHG M01 definition of hypoglycaemia (below 3.5) and close to the international
# "level 1" (below 3.9, ADA/EASD 2017): the patient acts before it gets worse.
GLUCOSE_HYPO = 4.0  # below: hypo
# International consensus (ADA/EASD 2017, "level 2 hypoglycaemia"): below 3.0 is a
# serious hypo, marked apart on charts.
GLUCOSE_SEVERE_HYPO = 3.0  # below: very low (shown apart)
# NHG M01, zelfcontrole: streefwaarden nuchter (and before a meal) 4.5 to 8 mmol/L.
GLUCOSE_FASTING_RANGE = (4.5, 8.0)  # in range: 4.5 <= value <= 8.0
# NHG M01, zelfcontrole: 2 hours after a meal under 9 mmol/L (lower bound: the hypo limit).
GLUCOSE_AFTER_MEAL_RANGE = (4.0, 9.0)  # in range: 4.0 <= value < 9.0
# Bedtime, night and readings without a moment: no moment-specific NHG target. We use the
# general day range 4 to 10 mmol/L (the international 3.9-10 consensus range, floored at
# the hypo limit of 4); it is shown as "general range", not as an NHG target.
GLUCOSE_GENERAL_RANGE = (4.0, 10.0)  # in range: 4.0 <= value <= 10.0
# Thuisarts.nl diabetes type 2, "Wanneer moet ik de huisarts bellen?": blood sugar above
# 15 mmol/L (more than once, or while feeling ill): call the practice the same day.
GLUCOSE_VERY_HIGH = 15.0  # above: alarming

# --- weight --------------------------------------------------------------------------
# NHG-Standaard Obesitas (M95, 2010) and WHO: BMI categories.
BMI_UNDERWEIGHT = 18.5  # below: underweight
BMI_OVERWEIGHT = 25.0  # from: overweight
BMI_OBESE = 30.0  # from: obesity
BMI_SEVERE_OBESE = 35.0  # from: severe obesity (ernstige obesitas)
BMI_MORBID_OBESE = 40.0  # from: morbid obesity (morbide obesitas)
BMI_EDGES = (BMI_UNDERWEIGHT, BMI_OVERWEIGHT, BMI_OBESE, BMI_SEVERE_OBESE, BMI_MORBID_OBESE)

# Unintended weight loss: Stuurgroep Ondervoeding / NHG-Standaard Ondervoeding (M106):
# more than 5% in a month or more than 10% in six months is a reason to talk.
WEIGHT_LOSS_MONTH_PCT = 5.0
WEIGHT_LOSS_HALF_YEAR_PCT = 10.0
# A change of more than this (per chosen period, either way) is shown to the clinician
# when it is not what the patient's own weight goal aims for. Practice convention of the
# pre-consult summary (no guideline value): smaller changes are day-to-day variation.
WEIGHT_CHANGE_NOTE_PCT = 3.0

# --- trends ------------------------------------------------------------------------------
# A change of a mean (this period against the one before, or a weight over 3 months)
# smaller than this is "about the same": day-to-day and device variation, not a trend.
# Practice convention of PGD, no guideline value: home monitors are validated to within
# 5 mmHg (ESH-IP 2010, ISO 81060-2), so a mean that moves less than 3/2 mmHg is noise; the
# lower pressure varies less. Bathroom scales read to 0.1 kg but a body's weight moves
# about 0.5-1 kg a day with fluid (NHG-Standaard Obesitas M95: judge weight over weeks);
# finger-prick meters may differ up to 15% (ISO 15197:2013), so 0.3 mmol/L is noise.
STEADY_CHANGE = {"systolic": 3.0, "diastolic": 2.0, "kg": 0.5, "mmol": 0.3}

# --- the home-measurement week (thuismeetweek) -------------------------------------------
# NHG-Standaard Cardiovasculair risicomanagement (M84, 2019, herziening 2024), "Thuis
# bloeddruk meten": measure on 7 consecutive days, in the morning and in the evening, each
# time 2 readings about a minute apart; leave out day 1 (getting used to measuring) and
# take the mean of all readings of days 2 to 7. (Thuisarts.nl "Ik wil zelf thuis mijn
# bloeddruk meten" tells patients to practise on 5 days, morning and evening, and to bring
# the list; the practice's measuring week follows the NHG protocol above.)
# Expected: 6 days x 2 moments x 2 readings = 24.
BP_WEEK_DAYS = 7
BP_WEEK_READINGS_PER_MOMENT = 2  # more at one moment: only the first two count
BP_WEEK_FIRST_COUNTED_DAY = 2  # day 1 is left out of the mean
BP_WEEK_EXPECTED_READINGS = (
    (BP_WEEK_DAYS - BP_WEEK_FIRST_COUNTED_DAY + 1) * 2 * BP_WEEK_READINGS_PER_MOMENT
)  # 24
# ESH practice guidelines for home blood pressure monitoring (Stergiou GS et al.,
# J Hypertens 2021;39:1293-1302): average all readings leaving out the first day; "at
# least 12 readings" (3 days) for a usable mean. From 12 readings: usable; 11: not.
BP_WEEK_MIN_READINGS = 12
# Which moment a reading belongs to, by its local hour. Not a guideline number: NHG and
# Thuisarts say "in the morning" (before breakfast and medicines) and "in the evening"
# (before dinner). App convention: before 14:00 local time is the morning, from 14:00 the
# evening, so a late riser's 12:30 reading and an early dinner's 17:00 reading land right.
BP_WEEK_EVENING_FROM_HOUR = 14
