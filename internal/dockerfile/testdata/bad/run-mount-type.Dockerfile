FROM alpine
RUN --mount=type=nfs,target=/x true
# want 2: invalid --mount type
