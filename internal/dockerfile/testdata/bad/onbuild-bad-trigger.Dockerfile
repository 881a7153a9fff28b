FROM alpine
ONBUILD CP a b
# want 2: unknown instruction: CP
