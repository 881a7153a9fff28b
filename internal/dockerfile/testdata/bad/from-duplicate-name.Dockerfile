FROM alpine AS build
FROM alpine AS BUILD
# want 2: duplicate stage name "build"
