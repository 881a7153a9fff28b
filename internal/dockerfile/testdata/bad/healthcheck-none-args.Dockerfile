FROM alpine
HEALTHCHECK NONE please
# want 2: HEALTHCHECK NONE takes no arguments
