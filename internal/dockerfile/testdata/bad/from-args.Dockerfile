FROM alpine AS
# want 1: FROM requires either one or three arguments
