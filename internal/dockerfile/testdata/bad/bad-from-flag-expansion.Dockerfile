FROM alpine
COPY --from=${STAGE x y
# want 2: --from
