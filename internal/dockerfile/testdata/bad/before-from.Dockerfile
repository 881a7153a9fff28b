ARG BASE=alpine
RUN echo too early
FROM $BASE
# want 2: no build stage in current context
