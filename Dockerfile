# The service image; the database comes from docker-compose.yml's PostGIS image.
FROM python:3.11-slim
WORKDIR /app
# pg_dump and pg_restore for `yishiting backup` / `restore` (Debian's client is at least as new
# as the compose file's PostgreSQL 15, and a newer pg_dump reads an older server).
RUN apt-get update \
 && apt-get install -y --no-install-recommends postgresql-client \
 && rm -rf /var/lib/apt/lists/*
COPY pyproject.toml README.md requirements.lock ./
COPY geo geo
COPY api api
COPY cli cli
COPY maps maps
COPY fixtures fixtures
# Exactly the pinned, hash-checked dependencies of the runtime lock; then the project itself,
# not editable, without resolving again. .ci/runtime.sh (CI, `make runtime-check`) takes the same
# two steps into a clean virtualenv and runs the service from it: change both together.
RUN pip install --no-cache-dir --require-hashes -r requirements.lock \
 && pip install --no-cache-dir --no-deps .
ENV DATABASE_URL=postgresql+psycopg://postgres:postgres@db:5432/yishiting
EXPOSE 8000
# Start-up never deletes: the demo loads only into an empty database (`load-demo --if-empty`).
CMD ["sh", "-c", "yishiting migrate && yishiting load-demo --if-empty --quiet && yishiting serve --host 0.0.0.0 --port 8000"]
