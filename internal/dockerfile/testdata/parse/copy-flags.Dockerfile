FROM alpine AS src
RUN mkdir -p /a/b/c
FROM alpine
COPY --from=src --chown=1000:1000 --chmod=644 --link /a /a
COPY --parents --exclude=*.tmp --exclude=*.log ./x/**/y/ /dst/
COPY --from=0 /etc/os-release /from-index
COPY --from=docker.io/library/busybox:latest /bin/busybox /bin/
COPY --link=false "--chown=root" a b /c/
ADD --chown=${UID:-0}:${GID:-0} src /dst
