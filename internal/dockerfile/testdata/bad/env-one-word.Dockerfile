FROM alpine
ENV lonely
# want 2: ENV must have two arguments
