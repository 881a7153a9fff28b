FROM alpine
HEALTHCHECK RUN true
# want 2: unknown type "RUN" in HEALTHCHECK
