FROM ruby:3.3 AS base
ONBUILD COPY Gemfile Gemfile.lock /app/
ONBUILD RUN bundle install --jobs 4
ONBUILD ADD . /app
onbuild ENV RAILS_ENV=production
WORKDIR /app
CMD ["bundle", "exec", "rails", "server"]
