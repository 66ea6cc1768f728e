# syntax=docker/dockerfile:1
#
# Respite in a container: `respite serve` (HTTP on $PORT plus the scheduler), migrations applied
# on start. Build:  docker build -t respite .
# Run:    docker compose up   (see docker-compose.yml: Respite with PostgreSQL 16)

ARG PYTHON_IMAGE=python:3.11-slim

# ---- builder: install the package and its dependencies into a self-contained venv ----------
FROM ${PYTHON_IMAGE} AS builder

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY handlers ./handlers
COPY scheduler ./scheduler
# A regular (not editable) install: the runtime stage needs nothing from /src.
RUN pip install --no-cache-dir . \
    && python -c "import bot.storage.migrations.versions, bot.config; print('respite installed')"

# ---- runtime: the venv, a non-root user, nothing else -----------------------------------------
# The user's only writable place is /app/data: the SQLite database (when DATABASE_URL is left as
# it is) and matplotlib's cache for digest charts (MPLCONFIGDIR; its default lives in a home
# directory this user does not have).
FROM ${PYTHON_IMAGE} AS runtime

LABEL org.opencontainers.image.title="Respite" \
      org.opencontainers.image.description="Self-hosted Slack and Microsoft Teams bot for clinical teams: anonymous pulses, break prompts, recognition and team-level digests." \
      org.opencontainers.image.licenses="Apache-2.0"

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PATH=/opt/venv/bin:$PATH \
    HOST=0.0.0.0 \
    PORT=3000 \
    RESPITE_CONFIG=/app/respite.yaml \
    DATABASE_URL=sqlite:////app/data/respite.db \
    MPLCONFIGDIR=/app/data/mpl

RUN groupadd --system --gid 10001 respite \
    && useradd --system --uid 10001 --gid respite --home-dir /app --no-create-home \
       --shell /usr/sbin/nologin respite \
    && mkdir -p /app/data/mpl \
    && chown -R respite:respite /app/data

COPY --from=builder /opt/venv /opt/venv

WORKDIR /app
# Numeric, so orchestrators can verify the user is not root (runAsNonRoot).
USER 10001:10001

EXPOSE 3000

# 200 when the database answers, 503 (an HTTPError, so exit 1) otherwise. The slim image has no
# curl; Python's standard library is enough.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '3000'), timeout=4)"]

# `respite serve` upgrades the database schema to the newest migration before it listens, and
# stops cleanly on SIGTERM (docker stop).
ENTRYPOINT ["respite"]
CMD ["serve"]
