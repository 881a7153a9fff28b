FROM alpine
SHELL /bin/sh -c
# want 2: JSON form
