FROM alpine
LABEL
# want 2: LABEL requires at least one argument
