# syntax=docker/dockerfile:1
# Image for the web server, the Celery worker and beat (docs/operations.md).
#   docker build -t pension .
# The same image runs all three; docker-compose.yml chooses the command.

# --- build: the virtualenv, with a compiler for any dependency without a wheel ------
FROM python:3.11-slim AS build

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1

RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*

RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

# Runtime dependencies only: requirements.lock, every file checked against its pinned
# hash. Tests, browser tooling and the embedded servers of `make run` are in
# requirements-dev.lock, which never enters this image (docs/operations.md "Dependencies").
COPY requirements.lock /tmp/requirements.lock
RUN pip install --require-hashes -r /tmp/requirements.lock

# --- runtime ----------------------------------------------------------------------
FROM python:3.11-slim

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=pension.settings.production \
    PENSION_ALLOW_EMBEDDED=false \
    PENSION_VAR_DIR=/app/var \
    MEDIA_ROOT=/app/media

RUN groupadd --system --gid 1000 app \
    && useradd --system --uid 1000 --gid app --create-home --home-dir /home/app \
       --shell /usr/sbin/nologin app

COPY --from=build /opt/venv /opt/venv

WORKDIR /app
# The code stays owned by root (read-only for the app user).
COPY . /app

# Static files are collected at build time; the values below exist only so that the
# production settings import (nothing connects to them) and are not kept in the image.
RUN DATABASE_URL=postgres://build:build@127.0.0.1:5432/build \
    REDIS_URL=redis://127.0.0.1:6379/0 \
    SECRET_KEY=build-time-only-not-a-secret-0123456789abcdefghijklmnopqrstuvwxyz \
    CHANGE_LOG_ANCHOR_KEY=build-time-only-not-a-secret-0123456789abcdef \
    python manage.py collectstatic --noinput \
    && mkdir -p /app/var /app/media \
    && chown app:app /app/var /app/media

# var/ (beat schedule) and media/ (attachments) are volumes in docker-compose.yml;
# the directories exist here owned by the app user, so new named volumes inherit that.
USER app

EXPOSE 8000

# Tunable through GUNICORN_WORKERS, GUNICORN_THREADS and GUNICORN_TIMEOUT.
CMD ["sh", "-c", "exec gunicorn pension.wsgi:application --bind 0.0.0.0:8000 --workers ${GUNICORN_WORKERS:-3} --threads ${GUNICORN_THREADS:-4} --timeout ${GUNICORN_TIMEOUT:-120} --graceful-timeout 30 --keep-alive 5 --max-requests 1000 --max-requests-jitter 100 --worker-tmp-dir /dev/shm --access-logfile - --error-logfile -"]
