FROM alpine AS b
COPY --from /a /b
# want 2: missing a value on flag: --from
