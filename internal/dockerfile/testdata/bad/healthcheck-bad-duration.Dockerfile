FROM alpine
HEALTHCHECK --interval=5 CMD true
# want 2: invalid --interval
