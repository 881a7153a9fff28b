# escape=|
FROM alpine
# want 1: invalid escape token
