#!/bin/bash
# The program's own user data (it replaces ha-webstack's sample app): nginx on Amazon Linux 2023
# serving a static page and the /healthz path the target group checks (200 while nginx runs).
# cloud-init runs it as root at first boot; output lands in /var/log/cloud-init-output.log.
set -euo pipefail

dnf install -y nginx
cat > /etc/nginx/conf.d/app.conf <<'NGINX'
server {
    listen 80 default_server;
    root /usr/share/nginx/app;
    location = /healthz { access_log off; return 200 "ok\n"; }
    location / { try_files $uri /index.html; }
}
NGINX
# The stock server block also claims default_server on port 80.
sed -i 's/listen       80 default_server;/listen       80;/; s/listen       \[::\]:80 default_server;/listen       [::]:80;/' /etc/nginx/nginx.conf
mkdir -p /usr/share/nginx/app
TOKEN=$(curl -sS -X PUT http://169.254.169.254/latest/api/token -H "X-aws-ec2-metadata-token-ttl-seconds: 60")
AZ=$(curl -sS -H "X-aws-ec2-metadata-token: $TOKEN" http://169.254.169.254/latest/meta-data/placement/availability-zone)
echo "<h1>shop</h1><p>served from $AZ</p>" > /usr/share/nginx/app/index.html
systemctl enable --now nginx
