FROM alpine
COPY --form=build /a /b
# want 2: unknown flag: --form
