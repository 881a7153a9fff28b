FROM alpine
WORKDIR ${DIR:=x}
# want 2: unsupported modifier
