ARG BASE=debian:bookworm-slim
FROM ${BASE} AS everything
MAINTAINER Jane Doe <jane@example.com>
LABEL maintainer="jane@example.com" a=b
ENV LEGACY value with spaces
ENV A=1 B="two words" C=three\ words
ARG NOVALUE
ARG WITHDEFAULT=default
ADD https://example.com/archive.tar.gz /tmp/
ADD --checksum=sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d --keep-git-dir --unpack=true https://example.com/x.tar /x/
COPY ["a file.txt", "/dst dir/"]
RUN ["/bin/sh", "-c", "echo exec form"]
RUN echo shell form
CMD ["--help"]
ENTRYPOINT ["/bin/tool"]
VOLUME /data /logs
VOLUME ["/cache"]
EXPOSE 80 443/tcp 53/udp ${EXTRA_PORT}
USER nobody
WORKDIR /srv/${NAME:-app}
ONBUILD RUN echo triggered
STOPSIGNAL 15
HEALTHCHECK NONE
SHELL ["/bin/bash", "-c"]
