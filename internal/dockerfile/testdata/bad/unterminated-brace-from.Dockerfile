ARG V=1
FROM alpine:${V
# want 2: missing '}'
