FROM alpine
CMD --foo=bar echo
# want 2: unknown flag: --foo
