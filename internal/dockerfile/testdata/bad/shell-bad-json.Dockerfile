FROM alpine
SHELL ["/bin/sh", "-c"
# want 2: SHELL requires the arguments to be in JSON form
