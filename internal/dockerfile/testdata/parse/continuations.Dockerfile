FROM ubuntu:24.04
# A long RUN with comments inside the continuation, as found in the wild.
RUN apt-get update \
    # install build tools
    && apt-get install -y \
        build-essential \
        # and git
        git \
    \
    && rm -rf /var/lib/apt/lists/*  
RUN echo one \  
    two
LABEL org.opencontainers.image.title="demo app" \
      org.opencontainers.image.description='multi word' \
      version=1.0
   CMD    echo   "indented instruction"
run echo lower-case instruction
