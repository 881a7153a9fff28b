FROM alpine
HEALTHCHECK --timeout=-1s CMD true
# want 2: cannot be negative
