FROM alpine
RUN true
FORM alpine
# want 3: unknown instruction: FORM
