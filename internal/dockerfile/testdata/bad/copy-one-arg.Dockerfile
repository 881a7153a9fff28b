FROM alpine
COPY \
  onlyone
# want 2: COPY requires at least two arguments
