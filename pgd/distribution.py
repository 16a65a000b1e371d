"""Which tables a distributed PostgreSQL (Citus) spreads by the patient, and how.

Every table of the models is classified once (tests/test_distribution.py checks it, and
the rules below, against the models):

- DISTRIBUTED: the patient's data, sharded by the column naming the patient. Its primary
  key and every unique constraint or unique index include that column, so the database
  can enforce them within one shard; a statement that names the patient goes to one
  shard. Its foreign keys go from that column to users (a reference table: the
  patient's own row) or, including that column, to another table of the same patient.
- REFERENCE: accounts and log-in, copied whole to every server. They name one person
  each, but what looks them up does not know a patient (log-in by e-mail, a session or
  API key by its hash, a share code by its hash), and users.email is unique on its own.

A table that names another person (a grant's clinician, a target's author, who asked
for a measuring week) stores the id without a foreign key: a foreign key may not cross
patients. Clinician accounts are switched off, never deleted (pgd.accounts.disabling).

Nothing here runs on a cluster: citus_statements() is what an administrator runs on the
coordinator after `flask --app pgd db-upgrade` (README, "Distributing over several
database servers").
"""

from __future__ import annotations

# Table -> the column naming the patient (the owner, for data_keys). Parents before
# children: a distributed table's foreign keys point at tables listed (or distributed)
# before it. profiles comes first: the others are co-located with it.
DISTRIBUTED: dict[str, str] = {
    "profiles": "user_id",
    "patient_settings": "user_id",
    "measurements": "patient_id",
    "agreed_targets": "patient_id",
    "measuring_weeks": "patient_id",
    "pending_imports": "patient_id",
    "goals": "patient_id",
    "goal_checkins": "patient_id",
    "consult_questions": "patient_id",
    "grants": "patient_id",
    "grant_changes": "patient_id",
    "triage": "patient_id",
    "triage_stale": "patient_id",
    "access_events": "patient_id",
    "access_log_heads": "patient_id",
    # A patient's data keys live with the patient's data (deleting the account destroys
    # them in the same transaction, on the same shard). The reserved system owner of the
    # audit key (pgd.crypto.audit) and a clinician's keys are just other owners.
    "data_keys": "owner_id",
}

# Copied to every server. users first: the others refer to it.
REFERENCE: tuple[str, ...] = (
    "users",  # looked up by e-mail at log-in; the unique e-mail cannot include the patient
    "clinician_details",
    "api_tokens",  # found by the key's hash before anyone is known
    "login_sessions",  # found by the cookie token's hash
    "second_factors",
    "recovery_codes",
    "password_resets",  # found by the link token's hash
    "share_codes",  # a clinician's, found by the code's hash; names no patient
    "master_key_checks",  # one row per master key, no person
    "access_log_head",  # the legacy global chain's head (before migration 0016), one row
)

COLOCATE_WITH = "profiles"


def citus_statements() -> list[str]:
    """The SQL that distributes the tables on a Citus coordinator, in order: reference
    tables first (distributed tables have foreign keys to users), then profiles, then the
    other patient tables in its co-location group, parents before children."""
    out = [f"SELECT create_reference_table('{name}');" for name in REFERENCE]
    for name, column in DISTRIBUTED.items():
        if name == COLOCATE_WITH:
            out.append(f"SELECT create_distributed_table('{name}', '{column}');")
        else:
            out.append(
                f"SELECT create_distributed_table('{name}', '{column}', "
                f"colocate_with => '{COLOCATE_WITH}');"
            )
    return out
