"""A misspelt MINIO_* name (MINIO_ENABLE_COMPRESION) is one warning line, never silence; the MinIO server's own
variables, which share the prefix and the .env file, never warn (core/setting_typos.py).

No server: `config` reads the settings only. In-process runs (cli_runner) unless the process itself is the
point (what a library run imports, TAB completion)."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from its_store.core.errors import ConfigError
from its_store.core.setting_typos import CUTOFF
from its_store.core.settings import load_settings, setting_names

from conftest import cli_runner
from helpers import ROOT, closed_port

SECRET = "s3cret-of-the-typo-test"
WARNING = ("its-store: warning: MINIO_ENABLE_COMPRESION is not a setting (did you mean MINIO_ENABLE_COMPRESSION?);"
           " it is ignored")

# The MinIO server's variables, as its documentation names them (docs.min.io, reference/minio-server/settings:
# core, root credentials, site, storage class, compression, API, scanner, heal, KMS, identity, policy,
# notifications, audit and logger targets, metrics, etcd, the old gateway cache, console), with the names
# of the deprecated ones still met in compose files. None may warn, even where close to one of ours.
SERVER_VARIABLES = """
MINIO_ROOT_USER MINIO_ROOT_PASSWORD MINIO_ROOT_USER_FILE MINIO_ROOT_PASSWORD_FILE MINIO_ACCESS_KEY MINIO_SECRET_KEY
MINIO_ACCESS_KEY_FILE MINIO_SECRET_KEY_FILE MINIO_ACCESS_KEY_OLD MINIO_SECRET_KEY_OLD MINIO_VOLUMES MINIO_OPTS
MINIO_CONFIG_ENV_FILE MINIO_SERVER_URL MINIO_BROWSER MINIO_BROWSER_REDIRECT_URL MINIO_BROWSER_REDIRECT
MINIO_BROWSER_LOGIN_ANIMATION MINIO_BROWSER_SESSION_DURATION MINIO_BROWSER_CONTENT_SECURITY_POLICY
MINIO_BROWSER_HSTS_SECONDS MINIO_BROWSER_HSTS_INCLUDE_SUB_DOMAINS MINIO_BROWSER_HSTS_PRELOAD
MINIO_BROWSER_REFERRER_POLICY MINIO_DOMAIN MINIO_PUBLIC_IPS MINIO_REGION MINIO_REGION_NAME MINIO_SITE_NAME
MINIO_SITE_REGION MINIO_SITE_COMMENT MINIO_STORAGE_CLASS_STANDARD MINIO_STORAGE_CLASS_RRS
MINIO_STORAGE_CLASS_OPTIMIZE MINIO_STORAGE_CLASS_INLINE_BLOCK MINIO_STORAGE_CLASS_COMMENT MINIO_COMPRESSION_ENABLE
MINIO_COMPRESSION_ALLOW_ENCRYPTION MINIO_COMPRESSION_EXTENSIONS MINIO_COMPRESSION_MIME_TYPES MINIO_API_REQUESTS_MAX
MINIO_API_REQUESTS_DEADLINE MINIO_API_CLUSTER_DEADLINE MINIO_API_CORS_ALLOW_ORIGIN
MINIO_API_REMOTE_TRANSPORT_DEADLINE MINIO_API_LIST_QUORUM MINIO_API_REPLICATION_PRIORITY
MINIO_API_REPLICATION_MAX_WORKERS MINIO_API_TRANSITION_WORKERS MINIO_API_STALE_UPLOADS_EXPIRY
MINIO_API_STALE_UPLOADS_CLEANUP_INTERVAL MINIO_API_DELETE_CLEANUP_INTERVAL MINIO_API_ODIRECT
MINIO_API_GZIP_OBJECTS MINIO_API_ROOT_ACCESS MINIO_API_SYNC_EVENTS MINIO_API_OBJECT_MAX_VERSIONS
MINIO_SCANNER_SPEED MINIO_SCANNER_CYCLE MINIO_SCANNER_DELAY MINIO_SCANNER_MAX_WAIT MINIO_SCANNER_IDLE_SPEED
MINIO_SCANNER_EXCESS_VERSIONS MINIO_SCANNER_EXCESS_FOLDERS MINIO_HEAL_BITROTSCAN MINIO_HEAL_MAX_SLEEP
MINIO_HEAL_MAX_IO MINIO_HEAL_DRIVE_WORKERS MINIO_ILM_EXPIRY_WORKERS MINIO_ILM_TRANSITION_WORKERS
MINIO_BATCH_REPLICATION_WORKERS_WAIT MINIO_BATCH_KEYROTATION_WORKERS_WAIT MINIO_BATCH_EXPIRATION_WORKERS_WAIT
MINIO_KMS_KES_ENDPOINT MINIO_KMS_KES_KEY_FILE MINIO_KMS_KES_CERT_FILE MINIO_KMS_KES_CAPATH MINIO_KMS_KES_KEY_NAME
MINIO_KMS_KES_API_KEY MINIO_KMS_KES_ENCLAVE MINIO_KMS_SECRET_KEY MINIO_KMS_SECRET_KEY_FILE MINIO_KMS_AUTO_ENCRYPTION
MINIO_KMS_SERVER MINIO_KMS_ENCLAVE MINIO_KMS_SSE_KEY MINIO_KMS_API_KEY MINIO_SSE_MASTER_KEY
MINIO_SSE_AUTO_ENCRYPTION MINIO_IDENTITY_OPENID_CONFIG_URL MINIO_IDENTITY_OPENID_CLIENT_ID
MINIO_IDENTITY_OPENID_CLIENT_SECRET MINIO_IDENTITY_OPENID_CLAIM_NAME MINIO_IDENTITY_OPENID_SCOPES
MINIO_IDENTITY_OPENID_REDIRECT_URI MINIO_IDENTITY_OPENID_CONFIG_URL_PRIMARY MINIO_IDENTITY_LDAP_SERVER_ADDR
MINIO_IDENTITY_LDAP_LOOKUP_BIND_DN MINIO_IDENTITY_LDAP_LOOKUP_BIND_PASSWORD MINIO_IDENTITY_LDAP_USER_DN_SEARCH_BASE_DN
MINIO_IDENTITY_LDAP_TLS_SKIP_VERIFY MINIO_IDENTITY_TLS_ENABLE MINIO_IDENTITY_TLS_SKIP_VERIFY
MINIO_IDENTITY_PLUGIN_URL MINIO_IDENTITY_PLUGIN_AUTH_TOKEN MINIO_POLICY_PLUGIN_URL MINIO_POLICY_PLUGIN_AUTH_TOKEN
MINIO_POLICY_OPA_URL MINIO_NOTIFY_WEBHOOK_ENABLE MINIO_NOTIFY_WEBHOOK_ENDPOINT MINIO_NOTIFY_WEBHOOK_AUTH_TOKEN
MINIO_NOTIFY_KAFKA_ENABLE MINIO_NOTIFY_KAFKA_BROKERS MINIO_NOTIFY_AMQP_URL MINIO_NOTIFY_MQTT_BROKER
MINIO_NOTIFY_NATS_ADDRESS MINIO_NOTIFY_NSQ_NSQD_ADDRESS MINIO_NOTIFY_ELASTICSEARCH_URL MINIO_NOTIFY_REDIS_ADDRESS
MINIO_NOTIFY_POSTGRES_CONNECTION_STRING MINIO_NOTIFY_MYSQL_DSN_STRING MINIO_AUDIT_WEBHOOK_ENABLE
MINIO_AUDIT_WEBHOOK_ENDPOINT MINIO_AUDIT_WEBHOOK_AUTH_TOKEN MINIO_AUDIT_KAFKA_ENABLE MINIO_AUDIT_KAFKA_BROKERS
MINIO_LOGGER_WEBHOOK_ENABLE MINIO_LOGGER_WEBHOOK_ENDPOINT MINIO_LOGGER_WEBHOOK_AUTH_TOKEN MINIO_PROMETHEUS_AUTH_TYPE
MINIO_PROMETHEUS_URL MINIO_PROMETHEUS_JOB_ID MINIO_PROMETHEUS_EXTRA_LABELS MINIO_ETCD_ENDPOINTS
MINIO_ETCD_PATH_PREFIX MINIO_ETCD_COREDNS_PATH MINIO_ETCD_CLIENT_CERT MINIO_ETCD_CLIENT_CERT_KEY
MINIO_DNS_WEBHOOK_ENDPOINT MINIO_CALLHOME_ENABLE MINIO_CALLHOME_FREQUENCY MINIO_SUBNET_LICENSE MINIO_SUBNET_API_KEY
MINIO_SUBNET_PROXY MINIO_LICENSE MINIO_CI_CD MINIO_CERT_PASSWD MINIO_UPDATE MINIO_UPDATE_MINISIGN_PUBKEY
MINIO_SHUTDOWN_TIMEOUT MINIO_ERASURE_SET_DRIVE_COUNT MINIO_DRIVE_SYNC MINIO_DRIVE_MAX_TIMEOUT
MINIO_CONN_READ_DEADLINE MINIO_CONN_WRITE_DEADLINE MINIO_STS_DURATION MINIO_FS_OSYNC MINIO_WORM
MINIO_DISK_USAGE_CRAWL_ENABLE MINIO_LOG_QUERY_URL MINIO_LOG_QUERY_AUTH_TOKEN MINIO_CACHE MINIO_CACHE_DRIVES
MINIO_CACHE_EXCLUDE MINIO_CACHE_QUOTA MINIO_CACHE_AFTER MINIO_CACHE_WATERMARK_LOW MINIO_CACHE_WATERMARK_HIGH
MINIO_CACHE_RANGE MINIO_CACHE_COMMIT MINIO_CACHE_EXPIRY MINIO_CACHE_MAXUSE MINIO_CACHE_ENCRYPTION_SECRET_KEY
MINIO_CACHE_ENABLE MINIO_CACHE_ENDPOINT MINIO_CACHE_BLOCK_SIZE
""".split()

# one letter dropped, doubled, swapped or wrong; a plural; the SSL/TLS mix-up: each warns, naming the setting
TYPOS = {
    "MINIO_ENABLE_COMPRESION": "MINIO_ENABLE_COMPRESSION", "MINIO_ENDPIONT": "MINIO_ENDPOINT",
    "MINIO_ACESS_KEY": "MINIO_ACCESS_KEY", "MINIO_SECRETKEY": "MINIO_SECRET_KEY",
    "MINIO_MULTIPART_TRESHOLD": "MINIO_MULTIPART_THRESHOLD", "MINIO_MAX_WORKER": "MINIO_MAX_WORKERS",
    "MINIO_VERIFY_SSL": "MINIO_VERIFY_TLS", "MINIO_ENABLE_CACHE": "MINIO_ENABLE_CACHING",
    "MINIO_REGOIN": "MINIO_REGION", "MINIO_CACHE_TL": "MINIO_CACHE_TTL", "MINIO_AUDIT_LGO": "MINIO_AUDIT_LOG",
    "MINIO_MULTIPART_CHUNK_SIZE": "MINIO_MULTIPART_CHUNKSIZE", "MINIO_LOG_BUCKET": "MINIO_LOGS_BUCKET",
    "MINIO_SECRET_KEY_FIEL": "MINIO_SECRET_KEY_FILE", "minio_endpiont": "MINIO_ENDPOINT",
}


@pytest.fixture
def clean(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """No MINIO_* variable but the secret key, in an empty folder (no .env)."""
    for name in list(os.environ):
        if name.upper().startswith("MINIO_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("MINIO_SECRET_KEY", SECRET)
    monkeypatch.chdir(tmp_path)
    from its_store.core import setting_typos
    setting_typos.forget_warnings()  # another test's library run in this process warned already
    return monkeypatch


def test_a_misspelt_variable_is_one_warning_line_and_config_shows_the_setting_unchanged(clean):
    cli = cli_runner({"MINIO_SECRET_KEY": SECRET})
    clean.setenv("MINIO_ENABLE_COMPRESION", "false")
    run = cli("config", "--json")
    assert run.exit_code == 0, run
    assert run.json()["MINIO_ENABLE_COMPRESSION"] is True
    assert run.stderr.splitlines() == [WARNING]
    again = cli("config")  # the next invocation of this process warns again: one line per run
    assert again.exit_code == 0 and again.stderr.splitlines() == [WARNING], again


def test_quiet_silences_it_as_every_warning(clean):
    clean.setenv("MINIO_ENABLE_COMPRESION", "false")
    run = cli_runner({"MINIO_SECRET_KEY": SECRET})("-q", "config", "--json")
    assert (run.exit_code, run.stderr) == (0, ""), run


def test_a_misspelt_secret_in_the_dotenv_file_is_named_never_shown(clean, tmp_path: Path):
    dotenv = tmp_path / ".env"
    dotenv.write_text("MINIO_ROOT_PASSWORD=server-side\nexport MINIO_SECERT_KEY='hunter2-typo'\n"
                      "MINIO_REGION=eu-west-1  # the lab\n")
    dotenv.chmod(0o600)
    run = cli_runner({"MINIO_SECRET_KEY": SECRET})("config")
    assert run.exit_code == 0, run
    assert run.stderr.splitlines() == ["its-store: warning: MINIO_SECERT_KEY is not a setting (did you mean "
                                       "MINIO_SECRET_KEY?); it is ignored"]
    assert "hunter2" not in run.stdout + run.stderr


def test_a_word_inside_a_dotenv_value_is_no_name(clean, tmp_path: Path):
    """Only names are checked: a quoted value that spans lines may hold MINIO_ENDPIONT=... as text."""
    dotenv = tmp_path / ".env"
    dotenv.write_text('MINIO_BWLIMIT="10M"\nNOTE="a line\nMINIO_ENDPIONT=x inside a value"\n')
    dotenv.chmod(0o600)
    run = cli_runner({"MINIO_SECRET_KEY": SECRET})("config")
    assert (run.exit_code, run.stderr) == (0, ""), run


def test_settings_and_their_aliases_never_warn(clean, caplog: pytest.LogCaptureFixture):
    assert {"MINIO_MULTIPART_CHUNKSIZE", "MINIO_PART_SIZE", "MINIO_ENABLE_COMPRESSION"} <= setting_names()
    for name in ("MINIO_MULTIPART_CHUNKSIZE", "MINIO_PART_SIZE", "MINIO_ENABLE_COMPRESSION", "minio_region"):
        clean.setenv(name, "eu-west-1" if name == "minio_region" else "8MiB" if "PART" in name else "true")
    with caplog.at_level(logging.WARNING):
        load_settings()
    assert caplog.records == []


@pytest.mark.parametrize("typo,setting", sorted(TYPOS.items()))
def test_each_typo_is_logged_by_the_library_naming_the_setting(clean, caplog: pytest.LogCaptureFixture,
                                                               typo: str, setting: str):
    clean.setenv(typo, "off")
    with caplog.at_level(logging.WARNING):
        load_settings()
        load_settings()  # built twice (a command's settings, a service's): still one record
    assert [(r.name, r.levelno, r.getMessage()) for r in caplog.records] == [
        ("its_store.core.setting_typos", logging.WARNING,
         f"{typo} is not a setting (did you mean {setting}?); it is ignored")]


def test_no_minio_server_variable_warns(clean, caplog: pytest.LogCaptureFixture):
    for name in SERVER_VARIABLES:
        clean.setenv(name, "x")
    for name in setting_names():  # MINIO_ACCESS_KEY and MINIO_SECRET_KEY are the server's too: ours, valid
        if name in SERVER_VARIABLES:
            clean.delenv(name)
    with caplog.at_level(logging.WARNING):
        load_settings()
    assert caplog.records == []


def test_the_cutoff_lets_every_typo_through(clean):
    """The typos are no closer than they need be: none would pass a cutoff a little stricter than CUTOFF
    by more than the margin of MINIO_VERIFY_SSL, the furthest (ratio 0.875)."""
    import difflib
    ratios = {typo: difflib.SequenceMatcher(None, typo.upper(), setting).ratio() for typo, setting in TYPOS.items()}
    assert min(ratios.values()) >= CUTOFF
    assert min(ratios.values()) < CUTOFF + 0.03, "the cutoff may be raised (fewer false warnings)"


def _python(code: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.upper().startswith(("MINIO_", "_ITS_STORE"))}
    return subprocess.run([sys.executable, "-c", code], env={**base, "PYTHONPATH": str(ROOT), **env},
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)


def test_known_names_alone_import_no_difflib(tmp_path: Path):
    """Only settings: not even core/setting_typos is imported; a server's variable too: no difflib."""
    code = ("import sys; from its_store import load_settings; load_settings(); "
            "print('its_store.core.setting_typos' in sys.modules, 'difflib' in sys.modules)")
    ours = _python(code, tmp_path, MINIO_ENDPOINT="127.0.0.1:9", minio_region="eu-west-1")
    assert (ours.returncode, ours.stdout.split(), ours.stderr) == (0, ["False", "False"], ""), ours
    known = _python(code, tmp_path, MINIO_ENDPOINT="127.0.0.1:9", MINIO_ROOT_USER="x")
    assert (known.returncode, known.stdout.split(), known.stderr) == (0, ["True", "False"], ""), known
    typo = _python(code, tmp_path, MINIO_ENDPIONT="127.0.0.1:9")  # the guard can see an import
    assert (typo.returncode, typo.stdout.split()) == (0, ["True", "True"]), typo
    assert "MINIO_ENDPIONT is not a setting" in typo.stderr  # no logging set up: Python's last resort


def test_tab_completion_prints_nothing_of_a_typo(tmp_path: Path):
    """A TAB that builds the real settings (nothing cached: the server is asked, and refuses)."""
    exe = os.path.join(os.path.dirname(sys.executable), "its-store")
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith(("MINIO_", "_ITS_STORE"))}
    env.update({"MINIO_CACHE_DIR": str(tmp_path / "cache"), "MINIO_SECRET_KEY": SECRET,
                "MINIO_ENDPOINT": f"127.0.0.1:{closed_port()}", "MINIO_ENABLE_COMPRESION": "false",
                "_ITS_STORE_COMPLETE": "names", "PYTHONPATH": str(ROOT)})
    run = subprocess.run([exe, "object", "s3://b"], env=env, cwd=tmp_path, capture_output=True, text=True,
                         timeout=60)
    assert (run.returncode, run.stdout, run.stderr) == (0, "", ""), run


def test_completion_builds_its_settings_without_looking_for_typos(clean, caplog: pytest.LogCaptureFixture):
    """What keeps a TAB quiet even where its stderr is not swallowed (a deadline's thread finishing late):
    the settings it builds (Completer._build_service) log nothing of a typo."""
    from its_store.cli.completion.complete import Completer
    clean.setenv("MINIO_ENABLE_COMPRESION", "false")
    completer = Completer({"endpoint": f"127.0.0.1:{closed_port()}"})
    with caplog.at_level(logging.WARNING):
        completer._build_service().close()
    assert caplog.records == []
    with caplog.at_level(logging.WARNING):  # the library's own call does look
        load_settings()
    assert [r.getMessage().split()[0] for r in caplog.records] == ["MINIO_ENABLE_COMPRESION"]


@pytest.mark.parametrize("value,hinted", [("64MB # 64MB", True), ("64MB#64MB", False), ("abc", False)])
def test_an_inline_comment_kept_in_a_value_is_hinted_at(clean, value: str, hinted: bool):
    clean.setenv("MINIO_MULTIPART_THRESHOLD", value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert caught.value.message.startswith("MINIO_MULTIPART_THRESHOLD: ")
    assert ("an inline comment?" in caught.value.message) is hinted


def test_a_secret_with_an_inline_comment_is_not_shown(clean):
    clean.setenv("MINIO_SECRET_KEY", "bad\x01key # the lab")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert "the lab" not in caught.value.message and "bad" not in caught.value.message
