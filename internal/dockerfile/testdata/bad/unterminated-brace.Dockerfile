FROM alpine
ENV A=${B
# want 2: missing '}'
