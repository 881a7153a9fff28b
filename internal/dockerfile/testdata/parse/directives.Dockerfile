#syntax = docker/dockerfile:1
# unknown=directive
#   ESCAPE = \
# check=skip=JSONArgsRecommended
FROM alpine
# escape=`  is just a comment here
RUN echo a \
    b
CMD ["a", 'b']
