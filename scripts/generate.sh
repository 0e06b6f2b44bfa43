#!/usr/bin/env bash
# Regenerates everything derived from proto/: Go messages, gRPC stubs, the
# grpc-gateway handlers and the OpenAPI document. Plugins are installed at
# pinned versions into .bin/ so every machine generates the same bytes.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN="$PWD/.bin"
export GOBIN="$BIN" PATH="$BIN:$PATH"

install() { # name module@version
  local stamp="$BIN/.$1-${2##*@}"
  if [[ ! -x "$BIN/$1" || ! -e "$stamp" ]]; then
    go install "$2"
    touch "$stamp"
  fi
}
install buf github.com/bufbuild/buf/cmd/buf@v1.75.0
install protoc-gen-go google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
install protoc-gen-go-grpc google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.6.2
install protoc-gen-grpc-gateway github.com/grpc-ecosystem/grpc-gateway/v2/protoc-gen-grpc-gateway@v2.33.0
install protoc-gen-openapiv2 github.com/grpc-ecosystem/grpc-gateway/v2/protoc-gen-openapiv2@v2.33.0

buf lint
rm -f proto/relevo/v1/*.pb.go proto/relevo/v1/*.pb.gw.go
buf generate

# The TypeScript example adapter's code, when its packages are installed
# (npm ci in adapters/example-typescript); CI checks it is current.
if [[ -d adapters/example-typescript/node_modules ]]; then
  (cd adapters/example-typescript && npm run --silent generate)
else
  echo "adapters/example-typescript: not regenerated (run npm ci there first)" >&2
fi
