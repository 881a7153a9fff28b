# escape=`
# escape=\
FROM alpine
# want 2: only one escape parser directive
