# Helpers shared by the benchmark scripts (sourced by bench.sh and page_load.sh).
say() { printf '\033[1;34m==>\033[0m %s\n' "$*" >&2; }
# A field of a JSON summary line.
field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }
# "yes" or "**no**" for a Python expression.
verdict() { python3 -c 'import sys; print("yes" if eval(sys.argv[1]) else "**no**")' "$1"; }
# A free TCP port on 127.0.0.1.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
