FROM alpine
RUN
# want 2: RUN requires at least one argument
