#!/usr/bin/env bash
# Make sure the local PostgreSQL and RabbitMQ answer; start them if they do not.
set -euo pipefail

answers() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_for() { # port name seconds
  for _ in $(seq 1 "$3"); do answers "$1" && return 0; sleep 1; done
  echo "error: $2 did not start on 127.0.0.1:$1" >&2; return 1
}

if ! answers 5432; then
  echo "starting PostgreSQL"
  if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start
  else
    echo "error: PostgreSQL is not running on 127.0.0.1:5432 and pg_ctlcluster is not installed" >&2
    exit 1
  fi
  wait_for 5432 PostgreSQL 60
fi

if ! answers 5672; then
  echo "starting RabbitMQ"
  if command -v rabbitmq-server >/dev/null; then
    rabbitmq-server -detached
    wait_for 5672 RabbitMQ 120
    rabbitmqctl await_startup >/dev/null 2>&1 || true
  else
    echo "error: RabbitMQ is not running on 127.0.0.1:5672 and rabbitmq-server is not installed" >&2
    exit 1
  fi
fi

# The broker-setup tests (`rtw broker setup`) use RabbitMQ's management API: enable it, without a
# restart, on 127.0.0.1 only, if it is not answering yet.
if ! answers 15672 && command -v rabbitmq-plugins >/dev/null; then
  echo "enabling RabbitMQ's management API on 127.0.0.1:15672"
  rabbitmqctl eval 'application:load(rabbitmq_management), application:set_env(rabbitmq_management, tcp_config, [{port,15672},{ip,"127.0.0.1"}]).' >/dev/null
  rabbitmq-plugins enable --online rabbitmq_management >/dev/null
  wait_for 15672 "RabbitMQ's management API" 60
fi
