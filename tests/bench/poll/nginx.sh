# tests/bench/poll/nginx.sh — sourced by the poll benchmarks: serves a folder with nginx on a
# free port of 127.0.0.1 (static files, etag on, no gzip, an access log of "status uri").
# start_nginx DIR ROOT: config, logs and pid under DIR; sets nginx_pid and nginx_port and
# returns once the server answers. stop_nginx: stops that server by its pid.
start_nginx() {
  local dir=$1 root=$2
  nginx_port=$(python3 -c "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
  mkdir -p "$dir/logs"
  cat > "$dir/nginx.conf" <<CONF
daemon off;
worker_processes 1;
user root;
pid $dir/nginx.pid;
error_log $dir/logs/error.log warn;
events { worker_connections 1024; }
http {
  log_format bench '\$status \$request_uri';
  access_log $dir/access.log bench;
  types { application/rss+xml rss; application/atom+xml atom; }
  sendfile on;
  etag on;
  keepalive_requests 100000;
  server {
    listen 127.0.0.1:$nginx_port;
    root $root;
  }
}
CONF
  nginx -p "$dir" -c "$dir/nginx.conf" &
  nginx_pid=$!
  for _ in $(seq 50); do
    curl -s -o /dev/null "http://127.0.0.1:$nginx_port/" && break # any answer, a 404 too
    sleep 0.1
  done
}
stop_nginx() {
  if [ -n "${nginx_pid:-}" ]; then
    kill "$nginx_pid" 2> /dev/null || true
    wait "$nginx_pid" 2> /dev/null || true
    nginx_pid=
  fi
}
