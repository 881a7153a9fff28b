FROM alpine
RUN --mount=type=cache,sharing=sometimes,target=/x true
# want 2: sharing
