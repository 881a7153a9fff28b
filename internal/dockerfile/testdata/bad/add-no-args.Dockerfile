FROM alpine
ADD
# want 2: ADD requires at least two arguments
