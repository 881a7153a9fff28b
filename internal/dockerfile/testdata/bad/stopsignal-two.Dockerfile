FROM alpine
STOPSIGNAL SIGTERM SIGKILL
# want 2: STOPSIGNAL requires exactly one argument
