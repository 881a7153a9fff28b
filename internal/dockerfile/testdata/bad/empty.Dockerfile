# nothing here
# want 0: file with no instructions
