ARG PYTHON_VERSION=3.12
FROM python:${PYTHON_VERSION}-slim AS base

ARG PIP_INDEX_URL
ARG APP_HOME=/app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    APP_HOME=${APP_HOME}

WORKDIR $APP_HOME
COPY requirements.txt .
RUN --mount=type=cache,target=/root/.cache/pip \
    pip install --no-cache-dir ${PIP_INDEX_URL:+--index-url "$PIP_INDEX_URL"} -r requirements.txt
COPY --chmod=0755 entrypoint.sh /entrypoint.sh
COPY src/ ./src/
RUN useradd --create-home --uid 10001 app
USER app
ENTRYPOINT ["/entrypoint.sh"]
CMD ["python", "-m", "src.main"]
