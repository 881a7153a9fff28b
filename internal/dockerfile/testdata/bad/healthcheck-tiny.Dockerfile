FROM alpine
HEALTHCHECK --start-interval=10us CMD true
# want 2: less than 1ms
