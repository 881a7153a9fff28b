FROM busybox AS a
HEALTHCHECK --interval=5m --timeout=3s --start-period=30s --start-interval=5s --retries=3 \
  CMD wget -q -O- http://localhost/ || exit 1
FROM busybox AS b
HEALTHCHECK CMD ["/bin/check", "--quick"]
FROM a AS c
HEALTHCHECK NONE
