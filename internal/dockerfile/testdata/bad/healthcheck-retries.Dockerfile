FROM alpine
HEALTHCHECK --retries=three CMD true
# want 2: --retries
