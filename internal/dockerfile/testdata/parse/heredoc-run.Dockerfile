# syntax=docker/dockerfile:1
FROM debian:bookworm
RUN <<EOF
set -e
apt-get update
apt-get install -y --no-install-recommends curl
rm -rf /var/lib/apt/lists/*
EOF
RUN <<-'SCRIPT' bash
	echo "tabs are stripped, $HOME is not expanded"
	SCRIPT
RUN python3 <<PY > /tmp/out.txt
print("hello")
PY
RUN cat <<A <<B > /both
first
A
second
B
