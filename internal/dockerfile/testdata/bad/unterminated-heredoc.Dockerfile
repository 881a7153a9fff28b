FROM alpine
RUN true
RUN <<EOF
echo never ends
# want 3: unterminated heredoc "EOF"
