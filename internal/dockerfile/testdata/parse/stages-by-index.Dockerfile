FROM alpine AS Builder
RUN echo build > /x
FROM builder AS second
COPY --from=0 /x /y
FROM second
COPY --from=BUILDER /x /z
FROM scratch
COPY --from=2 / /
