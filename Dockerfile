# The service image; the database comes from docker-compose.yml's PostGIS image.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY geo geo
COPY api api
COPY maps maps
COPY fixtures fixtures
RUN pip install --no-cache-dir .
ENV DATABASE_URL=postgresql+psycopg://postgres:postgres@db:5432/yishiting
EXPOSE 8000
CMD ["sh", "-c", "yishiting migrate && yishiting load-demo --quiet && yishiting serve --host 0.0.0.0 --port 8000"]
