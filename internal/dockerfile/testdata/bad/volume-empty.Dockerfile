FROM alpine
VOLUME [""]
# want 2: VOLUME specified can not be an empty string
