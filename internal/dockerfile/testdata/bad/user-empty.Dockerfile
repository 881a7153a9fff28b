FROM alpine
USER
# want 2: USER requires at least one argument
