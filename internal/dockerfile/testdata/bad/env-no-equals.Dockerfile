FROM alpine
ENV a=1 b
# want 2: can't find = in "b"
