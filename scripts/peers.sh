# Shared by the measuring scripts (source it): free ports and a local nginx peer.

# A TCP port nobody listens on right now.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# start_nginx WORK PORT ROOT: nginx with one worker (master_process off: one process whose
# memory is the server's), access log off, sendfile on, long keep-alive; its PID in $nginx_pid.
# Returns once it accepts. The caller kills it.
start_nginx() {
  local work="$1" port="$2" root="$3"
  cat > "$work/nginx.conf" <<CONF
worker_processes 1;
daemon off;
master_process off;
error_log $work/error.log;
pid $work/nginx.pid;
events { worker_connections 16384; }
http {
  access_log off; keepalive_requests 1000000; keepalive_timeout 300s;
  client_body_temp_path $work/b; proxy_temp_path $work/p; fastcgi_temp_path $work/f; uwsgi_temp_path $work/u; scgi_temp_path $work/s;
  server { listen 127.0.0.1:$port; root $root; sendfile on; }
}
CONF
  /usr/sbin/nginx -p "$work" -c "$work/nginx.conf" &
  nginx_pid=$!
  wait_for_port "$port"
}

# wait_for_port PORT: until something accepts on 127.0.0.1:PORT (at most 5 s).
wait_for_port() {
  for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0; sleep 0.05; done
  echo "nothing listens on port $1" >&2; return 1
}
