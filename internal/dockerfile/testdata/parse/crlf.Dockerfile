FROM alpine
RUN echo a \
    && echo b
CMD ["sh"]
