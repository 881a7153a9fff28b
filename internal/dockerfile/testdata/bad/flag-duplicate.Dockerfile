FROM alpine
COPY --chown=a --chown=b x y
# want 2: duplicate flag
