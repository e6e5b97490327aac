#!/usr/bin/env bash
# Make sure the services the tests talk to are up on their default local ports:
# PostgreSQL 5432, Redis 6379, RabbitMQ 5672. Starts any that is down; on a fresh Debian
# machine without them, installs a throwaway one first (needs root, as CI has).
set -u

up() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() {
  for _ in $(seq 1 60); do up "$1" && return 0; sleep 1; done
  echo "service on port $1 did not come up" >&2; return 1
}

apt_install() {
  if [ -z "${_APT_UPDATED:-}" ]; then apt-get update -qq >/dev/null; _APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

if ! up 5432; then
  command -v pg_ctlcluster >/dev/null || apt_install postgresql
  ver=$(ls /etc/postgresql | sort -n | tail -1)
  pg_ctlcluster --skip-systemctl-redirect "$ver" main start 2>/dev/null || pg_ctlcluster "$ver" main start
  wait_port 5432
fi
# Trust auth for local test connections, as on the CI machines.
psql -h 127.0.0.1 -U postgres -tAc "select 1" >/dev/null 2>&1 || {
  hba=$(ls /etc/postgresql/*/main/pg_hba.conf | head -1)
  sed -i 's/^\(host\s\+all\s\+all\s\+127.0.0.1\/32\s\+\).*/\1trust/; s/^\(local\s\+all\s\+postgres\s\+\).*/\1trust/' "$hba"
  ver=$(ls /etc/postgresql | sort -n | tail -1)
  pg_ctlcluster --skip-systemctl-redirect "$ver" main reload 2>/dev/null || pg_ctlcluster "$ver" main reload
}

if ! up 6379; then
  command -v redis-server >/dev/null || apt_install redis-server
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
  wait_port 6379
fi

if ! up 5672; then
  command -v rabbitmq-server >/dev/null || apt_install rabbitmq-server
  rabbitmq-server -detached
  wait_port 5672
fi
echo "services up: postgresql:5432 redis:6379 rabbitmq:5672"
