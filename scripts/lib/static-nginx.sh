# Sourced by the benchmarks that measure beside nginx: `static_nginx WORK PORT [directives]` writes
# an nginx configuration serving WORK/root on 127.0.0.1:PORT the way a tuned static site would
# (sendfile, long keep-alive, a deep accept queue), with any further `http` directives given, and
# starts it; its pid file is WORK/nginx.pid. `load_module` lines go in NGINX_MODULES.
static_nginx() {
  local work=$1 port=$2 extra=${3:-}
  mkdir -p "$work/root" "$work/logs"
  cat > "$work/nginx.conf" <<CONF
${NGINX_MODULES:-}
worker_processes auto;
worker_rlimit_nofile 16384;
pid $work/nginx.pid;
error_log $work/logs/error.log warn;
events { worker_connections 8192; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  types { text/html html; }
  default_type text/html;
  $extra
  client_body_temp_path $work/logs;
  proxy_temp_path $work/logs;
  fastcgi_temp_path $work/logs;
  uwsgi_temp_path $work/logs;
  scgi_temp_path $work/logs;
  server {
    listen 127.0.0.1:$port backlog=4096;
    root $work/root;
    index index.html;
  }
}
CONF
  nginx -c "$work/nginx.conf" -p "$work"
  for _ in $(seq 1 50); do curl -s -o /dev/null "http://127.0.0.1:$port/" && return 0; sleep 0.1; done
  echo "nginx did not start on $port" >&2
  return 1
}
