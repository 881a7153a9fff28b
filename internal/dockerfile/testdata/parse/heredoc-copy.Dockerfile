FROM nginx:alpine
ARG SERVER_NAME=example.com
COPY <<EOF /etc/nginx/conf.d/default.conf
server {
    listen 80;
    server_name ${SERVER_NAME};
    location / { root /usr/share/nginx/html; }
}
EOF
COPY --chmod=0644 <<"HTML" /usr/share/nginx/html/index.html
<h1>$not_expanded</h1>
HTML
ADD --link <<conf1 <<conf2 /etc/app/
a=1
conf1
b=2
conf2
