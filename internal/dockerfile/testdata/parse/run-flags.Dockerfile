FROM alpine
RUN --mount=type=secret,id=npmrc,target=/root/.npmrc,required \
    --mount=type=bind,from=build,source=/out,target=/in,rw \
    --mount=type=tmpfs,dst=/tmp,size=64m \
    --mount=type=cache,id=apk,target=/var/cache/apk,sharing=locked,mode=0755,uid=0,gid=0 \
    --mount=type=ssh \
    --network=none --security=insecure \
    echo hi
RUN --mount=target=/src,ro true
