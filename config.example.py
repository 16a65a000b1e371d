# PGD settings. Copy to instance/config.py and change what you need; every setting can
# also be given as an environment variable with the prefix PGD_ (e.g. PGD_DATABASE_URL),
# which wins over this file. Nothing here is needed for the embedded default: SQLite in
# instance/ and keys generated into instance/ on first run.

# Database. Default: sqlite:///<instance>/pgd.sqlite3 (WAL mode).
# PostgreSQL: "postgresql+psycopg://user:password@127.0.0.1:5432/pgd"
DATABASE_URL = None

# Master key ring (JSON, mode 0600). Default: <instance>/master_keys.json, created on the
# first run when no encrypted data exists yet. Keep a backup: without it the data is lost.
# Rotate with `flask --app pgd rotate-master-key`; retire old keys with
# `flask --app pgd retire-master-key KEY_ID`.
MASTER_KEY_FILE = None

# Signs the session cookie. Default: generated once into <instance>/secret_key (0600).
SECRET_KEY = None

# Cookies get the Secure flag automatically for https requests. Set True when a proxy
# terminates TLS and PROXY_COUNT is not set.
FORCE_SECURE_COOKIES = False

# A login ends after this many minutes without activity, and after this many hours at most.
SESSION_IDLE_MINUTES = 30
SESSION_MAX_HOURS = 12

# Number of reverse proxies in front of the app whose X-Forwarded-* headers to trust.
PROXY_COUNT = 0

# Failed logins allowed before "try again later" (Flask-Limiter syntax), per account and
# per client address. Only failures count.
LOGIN_LIMIT_ACCOUNT = "10 per 15 minutes"
LOGIN_LIMIT_IP = "10 per 15 minutes"

# New accounts per client address.
REGISTER_LIMIT_IP = "20 per hour"

# Wrong second-factor (authenticator app or recovery) codes per account and per client
# address before "try again later". Right codes never count.
SECOND_FACTOR_LIMIT_ACCOUNT = "5 per 15 minutes"
SECOND_FACTOR_LIMIT_IP = "20 per 15 minutes"

# The name an authenticator app shows next to the six-digit code, e.g. your practice.
SECOND_FACTOR_ISSUER = "PGD"

# Wrong share codes or unknown e-mail addresses a patient may try when sharing, per
# patient and per client address, before "try again later". One address can be many
# people (a practice's Wi-Fi, a shared network): when it is over its limit, everyone
# behind it waits, so keep the address limit generous.
SHARE_LOOKUP_LIMIT = "10 per 15 minutes"
SHARE_LOOKUP_LIMIT_IP = "50 per 15 minutes"

# Requests per valid API key (the JSON API and FHIR together), whatever address they come
# from; over it the answer is 429 with Retry-After. Every per-address limit above counts
# an IPv6 client by its /64 network (one home or office).
API_KEY_RATE_LIMIT = "600 per minute"

# File imports (the import page and the FHIR $import of an app): at most this many
# readings per file, and at most this many imports per user (Flask-Limiter syntax; over
# it the answer is 429). One import per patient runs at a time; a second one meanwhile
# is refused with "An import is already running".
IMPORT_MAX_ROWS = 100000
IMPORT_RATE_LIMIT = "10 per hour"

# Seconds an unwrapped data key stays in a worker's memory (0: never). It saves the
# database lookup and the unwrap of a key on every request; the sharing policy still
# decides every request, and a key rotation or a changed key file empties it at once.
DATA_KEY_CACHE_SECONDS = 60

# Password-reset requests ("Wachtwoord vergeten?") per e-mail address typed and per client
# address. The answer is the same for known and unknown addresses.
RESET_LIMIT_ACCOUNT = "3 per hour"
# Registration mails per e-mail address typed (a link to confirm a new address, or the
# owner's "someone tried to register" notice). Over it the registration page answers the
# same as always, but nothing is sent and a pending registration is not replaced, so no
# one can flood a mailbox or keep ending the owner's link. Counted for every address alike.
REGISTER_LIMIT_ACCOUNT = "3 per hour"
RESET_LIMIT_IP = "20 per hour"

# Outgoing e-mail over SMTP (password-reset and set-password links, registration notices).
# Without MAIL_SERVER (the embedded default) nothing is sent: each message is written to
# the server log and to <instance>/mail/<time>-<n>.eml, so you can follow a link yourself.
# MAIL_USE_TLS starts TLS (STARTTLS) on MAIL_PORT, usually 587.
MAIL_SERVER = None
MAIL_PORT = 587
MAIL_USE_TLS = True
MAIL_USERNAME = None
MAIL_PASSWORD = None
MAIL_DEFAULT_SENDER = "PGD <noreply@localhost>"

# The address people use to reach PGD (e.g. "https://pgd.praktijk.nl"); links in e-mail
# sent from the command line (send-password-link) start with it. In a request the
# address of that request is used when this is not set. Default: http://127.0.0.1:5000
PUBLIC_URL = None

# Where the limiter counts: "memory://" (one process) or "redis://127.0.0.1:6379/0"
# (shared by every worker and host; needs `pip install '.[redis]'`). With more than one
# worker or instance use Redis: in memory each process counts on its own, so every limit
# is multiplied by the number of processes.
# If Redis cannot be reached, PGD fails closed: each step that counts attempts (login,
# second-factor code, share codes, registration, password reset, API key checks, imports)
# answers 503 "try again in a few minutes" (Retry-After: 60, security-log event
# limits.unavailable) without checking the password or code, until Redis is back. Pages
# that count nothing and existing sessions keep working; the API's failed-key brake and
# per-key rate stop counting (a key is still checked).
# Deliberately not set: RATELIMIT_SWALLOW_ERRORS (fails open: guesses go uncounted) and
# RATELIMIT_IN_MEMORY_FALLBACK_ENABLED (only covers Flask-Limiter's own route limits,
# which PGD does not use; per-process counts would quietly multiply the login limit).
# Watch Redis like the database.
RATELIMIT_STORAGE = "memory://"

# Argon2id password hashing cost (time cost, memory in KiB, lanes).
ARGON2_TIME_COST = 3
ARGON2_MEMORY_COST = 65536
ARGON2_PARALLELISM = 4

# Largest request body accepted, in bytes.
MAX_CONTENT_LENGTH = 1048576

# Interface languages; the first is the default when the browser states no preference.
LANGUAGES = ("nl", "en")

# Time zone in which times are shown (stored in UTC).
TIMEZONE = "Europe/Amsterdam"

# The security log: logins (success, failure, limited), second factor, password changes
# and resets, API keys, shares, refused access and key rotation, as one JSON object per
# line (no health values, passwords, codes, tokens or names; e-mail addresses of failed
# logins only as a keyed hash). Always written to stderr; also appended to this file
# (PGD_SECURITY_LOG_FILE, e.g. "/var/log/pgd/security.jsonl"; reopened after logrotate
# moves it) and/or sent to syslog, facility auth (PGD_SECURITY_LOG_SYSLOG: "/dev/log",
# "logs.example.nl:514" for UDP or "tcp://logs.example.nl:514").
SECURITY_LOG_FILE = None
SECURITY_LOG_SYSLOG = None

# The access log's anchor: every chain's head (patient, number, digest) and a digest over
# all of them, written to this file outside the database, so `flask verify-access-log`
# also sees a chain rewritten from its start or cut short. None: instance/
# access_log_anchor.json (the one before it is kept as .prev). Keep it where database
# administrators cannot write, and back it up apart from the database
# (PGD_ACCESS_LOG_ANCHOR_FILE).
ACCESS_LOG_ANCHOR_FILE = None
# The app writes a new anchor after a request that logged an access, once the last one is
# older than this many seconds (PGD_ACCESS_LOG_ANCHOR_INTERVAL). `flask anchor-access-log`
# writes one at once (for cron, e.g. every 5 minutes on a quiet server).
ACCESS_LOG_ANCHOR_INTERVAL = 300
