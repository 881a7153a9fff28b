FROM alpine
ONBUILD FROM busybox
# want 2: FROM isn't allowed as an ONBUILD trigger
