FROM alpine
RUN echo a \
    # comment
    b
COPY \
   \
  x
# want 5: COPY requires at least two arguments
