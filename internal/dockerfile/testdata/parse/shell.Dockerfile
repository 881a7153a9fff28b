FROM alpine
SHELL ["/bin/ash", "-eo", "pipefail", "-c"]
RUN wget -qO- https://example.com | wc -c
SHELL ["/bin/sh", "-c"]
CMD echo "shell form cmd"
ENTRYPOINT exec top -b
STOPSIGNAL SIGQUIT
