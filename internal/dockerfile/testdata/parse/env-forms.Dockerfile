FROM alpine
ENV a="b c" d=e\ f g='h i' empty=
ENV single value
ENV JSONISH '{"k": "v"}'
LABEL "com.example.vendor"="ACME Inc" multi.label1="value1" multi.label2="value2"
LABEL description="This text illustrates \
that label-values can span multiple lines."
ARG a=1 b c="3 4"
