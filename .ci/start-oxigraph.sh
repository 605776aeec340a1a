#!/bin/sh
# Start an Oxigraph server for push tests or a local publishing rehearsal.
# usage: .ci/start-oxigraph.sh DIR [PORT]   (pip install oxigraph provides the binary)
# Queries see the union of all named graphs, like titp-graph's own store.
set -eu
dir=${1:?usage: $0 DIR [PORT]}
port=${2:-7878}
mkdir -p "$dir"
exec oxigraph serve --location "$dir" --bind "127.0.0.1:$port" --union-default-graph
