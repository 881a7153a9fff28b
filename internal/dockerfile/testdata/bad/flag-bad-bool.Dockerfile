FROM alpine
COPY --link=yes x y
# want 2: expecting boolean value
