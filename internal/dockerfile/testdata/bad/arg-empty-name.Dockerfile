FROM alpine
ARG =x
# want 2: ARG names can not be blank
