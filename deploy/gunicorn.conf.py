"""gunicorn configuration for Sori in production (read by deploy/systemd/sori.service).

    gunicorn -c /srv/sori/deploy/gunicorn.conf.py

What this file promises, and why:

- Sori listens on loopback only; nginx (deploy/nginx/sori.conf) is the only client. Nothing else should be
  able to reach gunicorn directly.
- No access log at all: a line per request gives the exact time of a submission, and with an address
  it identifies a source (DESIGN.md 2.3). The error log goes to stderr (journald under systemd) and a
  filter below removes the client address and the request line gunicorn would otherwise put in it.
- Tor is slow: a 1 GiB no-JavaScript upload (POST /submit) can take many minutes, and nginx passes the
  body through as it arrives (no spooling of plaintext to disk), so a request may wait on its client for
  a quarter of an hour. Hence gevent workers: each request is a green thread costing a few kilobytes,
  so 500 slow uploads (or 500 attackers trickling a byte at a time) leave pages, status, reviewers and
  /health answering normally (issue 18; tests/abuse, bench/abuse.py). Work that would hold a process's
  event loop runs off it or yields now and then (sealing a fast upload): argon2id on threads the OS runs
  after the loop (core/hashing.py, core/green.py), SQLite's commits grouped, fsync and all, on an OS
  thread (core/commits.py); PostgreSQL through psycopg 3 waits cooperatively (it detects gevent's
  patching), and SQLite's reads are short and run in place. Bodies that are not really uploads are cut
  by a minimum average rate, and uploads at once are capped per process (core/request_bodies.py).

What to change: ``bind`` (or pass ``-b``), ``workers`` for a bigger machine (about one per core). Any
setting can also be overridden without editing this file, with GUNICORN_CMD_ARGS="--workers 4" in
/etc/sori/sori.env or on the command line (command-line options win over this file). Sori's own settings
(SORI_*) come from the environment, see deploy/sori.env.example.
"""

from __future__ import annotations

import gc
import logging
import re

from gunicorn import glogging

# The application: the factory in sori/app.py, configured from SORI_* variables.
wsgi_app = "sori:create_app()"

# --- Where to listen -----------------------------------------------------------------------------------
# Loopback only; nginx proxies to it (upstream "sori" in deploy/nginx/sori.conf: keep the two equal).
# A unix socket works too: bind = "unix:/run/sori/gunicorn.sock" (then add RuntimeDirectory=sori to the
# systemd unit and point nginx's upstream at it). An app host behind an nginx on another machine (several
# app hosts, deploy/README.md) listens on its private-network address instead, firewalled to the nginx
# host only: GUNICORN_CMD_ARGS="--bind 10.8.0.11:8000" in /etc/sori/sori.env.
bind = ["127.0.0.1:8000"]

# --- Workers --------------------------------------------------------------------------------------------
# gevent: one process per core, each serving up to worker_connections requests at once as green threads.
# SORI_UPLOADS_AT_ONCE (500) of them may be uploads; the rest of worker_connections stays free for
# everything else, so an upload flood is answered "busy, try again in a minute" before it could fill the
# process. Each connection is a file descriptor: LimitNOFILE in sori.service leaves room for all of them.
# Memory stays bounded because uploads stream and are encrypted in constant memory, and argon2id runs at
# most two at a time per kind per process (core/hashing.py).
worker_class = "gevent"
workers = 2
worker_connections = 2000
# Recycle a worker now and then (a safety net against slow leaks); the jitter avoids recycling all at once.
# Rarely: a new worker imports and sets up the whole application again, about 1.5 s of CPU, and a gevent
# worker answers a thousand or more pages a second, so recycling every 5,000 requests cost about 0.3 ms of
# CPU per page, as much as answering it (bench/intake_throughput.py). A recycled worker also gives the
# uploads still streaming into it only graceful_timeout to finish, so fewer recycles lose fewer slow uploads.
max_requests = 100_000
max_requests_jitter = 10_000

# --- Timeouts -------------------------------------------------------------------------------------------
# timeout: a worker whose event loop is stuck this long is killed and restarted. Requests themselves may
# last much longer (a slow upload only waits, and the loop goes on); nginx's proxy_read_timeout and
# proxy_send_timeout (600 s) bound how long gunicorn may take to answer once a body is in.
timeout = 60
# graceful_timeout: on restart or stop, requests in flight get this long to finish. The browser path
# uploads in 8 MiB pieces and resumes; a long no-JS upload in flight is lost (the source sees an error and
# nothing half-stored remains). Keep TimeoutStopSec in sori.service above this.
graceful_timeout = 300
# Behind nginx on loopback, connections are reused briefly. On the gevent worker this is also how long a
# request's headers may take to arrive (nginx sends them whole).
keepalive = 5

# --- Request limits -------------------------------------------------------------------------------------
# Sori's URLs and headers are short; the body size limit is SORI_MAX_UPLOAD_BYTES (app) and
# client_max_body_size (nginx). These are gunicorn's defaults, written out so that nobody raises them
# unknowingly.
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190

# --- Proxy headers --------------------------------------------------------------------------------------
# Only nginx on this machine is trusted, and only for the scheme (X-Forwarded-Proto, so that Flask knows a
# request came over HTTPS). gunicorn never takes the client address from X-Forwarded-For, nginx does not
# send one (deploy/nginx/sori.conf clears it), and Sori never wants the client address anyway.
forwarded_allow_ips = "127.0.0.1"
forwarder_headers = ""  # no SCRIPT_NAME / PATH_INFO / REMOTE_USER from the proxy either
proxy_protocol = False

# --- Logs -----------------------------------------------------------------------------------------------
accesslog = None  # never: no access log, not even without addresses (exact times identify sources)
disable_redirect_access_to_syslog = True
errorlog = "-"  # stderr: journald under systemd (`journalctl -u sori`)
loglevel = "info"  # start-up, worker restarts and errors; "debug" is never needed in production
capture_output = False

# The heartbeat files of the workers: in memory, not on disk.
worker_tmp_dir = "/dev/shm"
# gunicorn 25+ opens a control socket under $HOME by default; Sori does not use it (and ProtectHome and
# ProtectSystem in sori.service would refuse it anyway).
control_socket_disable = True
# Give the processes a recognizable name in ps/top.
proc_name = "sori"


class _NoClientDetails(logging.Filter):
    """Removes what would tie a log line to a client: gunicorn logs a malformed request as
    "Invalid request from ip=ADDRESS: ..." and an application error as "Error handling request METHOD URI"
    (the URI may carry a query). Both keep their meaning and the traceback, without the details."""

    _ADDRESS = re.compile(r"\bip=\S+")

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if message.startswith("Error handling request"):
            message = "Error handling request"
        message = self._ADDRESS.sub("ip=-", message)
        record.msg, record.args = message, ()
        return True


class NoAddressLogger(glogging.Logger):
    """gunicorn's logger with the access log switched off for good and the error log filtered."""

    def setup(self, cfg):  # noqa: ANN001 - gunicorn's signature
        super().setup(cfg)
        self.error_log.addFilter(_NoClientDetails())

    def access(self, resp, req, environ, request_time):  # noqa: ANN001
        """No access log, whatever accesslog says."""


logger_class = NoAddressLogger


def post_worker_init(worker):  # noqa: ANN001, ANN201 - gunicorn's hook signature
    """Move everything the loaded application holds out of the garbage collector's reach: a full
    collection then no longer walks the modules, templates and metadata on every few requests, which
    otherwise shows as pauses of tens of milliseconds on large pages (bench/records.py)."""
    gc.collect()
    gc.freeze()
