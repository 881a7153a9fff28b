FROM alpine AS 1st
# want 1: invalid name for build stage
