ARG A=1
# only ARGs

# want 0: no FROM instruction
