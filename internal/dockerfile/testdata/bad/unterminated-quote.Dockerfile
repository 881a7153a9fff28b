FROM alpine
LABEL a="b
# want 2: matching double-quote
