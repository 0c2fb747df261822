# chainboard: API (/api/v1), dashboard (/dashboard/) and OpenAPI docs (/docs) on port 8000.
# Migrations run separately (`chainboard migrate`; the `migrate` service in docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Only what the package needs (see .dockerignore); README.md is the package's readme.
# `chainboard migrate` finds the migrations inside the installed package: no alembic.ini needed.
COPY pyproject.toml README.md ./
COPY app ./app
COPY dashboard ./dashboard
COPY migrations ./migrations
# /app itself belongs to the app user so that a single container may keep a SQLite file there;
# the code stays root-owned and read-only to it.
RUN pip install . \
    && useradd --create-home --uid 10001 --shell /usr/sbin/nologin chainboard \
    && chown chainboard:chainboard /app

USER chainboard
EXPOSE 8000

# The slim image has no curl: ask Python. 200 from /api/v1/health means the database answers.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/api/v1/health', timeout=4)"]

CMD ["chainboard", "serve", "--host", "0.0.0.0", "--port", "8000"]
