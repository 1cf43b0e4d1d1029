#!/usr/bin/env bash
# Regenerates the screen captures in docs/ from the real binary running the bundled demo:
#   docs/screen-main.txt          the main screen
#   docs/screen-help.txt          the help overlay (?)
#   docs/screen-detail.txt        the node detail of the first row (Enter)
#   docs/screen-drain-dialog.txt  the drain confirmation of the last row (d)
#   docs/screenshot.png           the main screen with its colours (scripts/ansi-to-png.py)
#
# `thrifttop --demo --scenario demo/scenario.toml` runs in a private tmux server (its own socket,
# SCREEN_COLUMNS x SCREEN_ROWS, TERM=xterm-256color, LANG=C.UTF-8); after SETTLE_SECONDS the demo's
# faults have shown, and the screens are captured (plain text with trailing spaces trimmed for the
# .txt files, with colour escapes and trailing blanks for the PNG). The tmux server is killed at the end, also on failure.
#
# Environment:
#   THRIFTTOP_BIN    the binary (default: `swift build -c release --product thrifttop`, then its path)
#   SETTLE_SECONDS   seconds from start to the first capture (default 20)
#   SCREEN_COLUMNS, SCREEN_ROWS   the terminal's size (default 160 x 45)
#   FONT_SIZE        the PNG's font size in pixels (default 15)
# Needs tmux and python3 with Pillow (installed with `python3 -m pip install --user pillow` if missing).
set -euo pipefail
# A relative THRIFTTOP_BIN is the caller's, not the repository's.
[ -z "${THRIFTTOP_BIN:-}" ] || THRIFTTOP_BIN=$(realpath -m "$THRIFTTOP_BIN")
cd "$(dirname "$0")/.."

settle=${SETTLE_SECONDS:-20}
columns=${SCREEN_COLUMNS:-160}
rows=${SCREEN_ROWS:-45}
font_size=${FONT_SIZE:-15}

command -v tmux >/dev/null || { echo "screenshots.sh needs tmux: apt-get install tmux" >&2; exit 1; }
command -v python3 >/dev/null || { echo "screenshots.sh needs python3: apt-get install python3" >&2; exit 1; }
if ! python3 -c 'import PIL' 2>/dev/null; then
  echo "screenshots.sh: Pillow is missing; installing it: python3 -m pip install --user pillow" >&2
  if ! python3 -m pip install --user --quiet pillow || ! python3 -c 'import PIL' 2>/dev/null; then
    echo "screenshots.sh: could not install Pillow; install it with:  python3 -m pip install --user pillow" >&2
    exit 1
  fi
fi

if [ -z "${THRIFTTOP_BIN:-}" ]; then
  swift build -c release --product thrifttop
  THRIFTTOP_BIN="$(swift build -c release --show-bin-path)/thrifttop"
fi
bin=$THRIFTTOP_BIN
[ -x "$bin" ] || { echo "screenshots.sh: $THRIFTTOP_BIN is not an executable" >&2; exit 1; }

sock="thrifttop-screenshots-$$"
work=$(mktemp -d)
sleep_pid=""
cleanup() {
  [ -z "$sleep_pid" ] || kill "$sleep_pid" 2>/dev/null || true
  tmux -L "$sock" kill-server 2>/dev/null || true
  # kill-server can leave the socket file behind.
  rm -f "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$sock"
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM   # through the EXIT trap: the tmux server goes on a signal too
t() { tmux -L "$sock" "$@"; }

# Our own tmux.conf, not the user's: no status line (the pane is the whole terminal), and a pane
# whose program exits stays, so that an early exit can be shown. -u: UTF-8 whatever the locale.
printf 'set -g status off\nset -g remain-on-exit on\n' >"$work/tmux.conf"
LANG=C.UTF-8 LC_ALL=C.UTF-8 tmux -u -L "$sock" -f "$work/tmux.conf" new-session -d -s shot -x "$columns" -y "$rows" \
  "exec env TERM=xterm-256color LANG=C.UTF-8 LC_ALL=C.UTF-8 '$bin' --demo --scenario demo/scenario.toml"

alive() { [ "$(t display-message -p -t shot '#{pane_dead}')" = 0 ]; }
# `capture NAME`: the pane as docs/screen-NAME.txt (plain, trailing spaces trimmed) and $work/NAME.ansi.
capture() {
  alive || { echo "screenshots.sh: thrifttop exited early; its screen:" >&2; t capture-pane -p -t shot >&2; exit 1; }
  t capture-pane -p -t shot | sed 's/[[:space:]]*$//' >"docs/screen-$1.txt"
  # -N keeps trailing blanks: a coloured background runs to the line's end, as on screen.
  t capture-pane -e -p -N -t shot >"$work/$1.ansi"
  echo "docs/screen-$1.txt"
}
# Sleeps in the background and waits, so that a signal is handled at once, not after the sleep.
pause() { sleep "$1" & sleep_pid=$!; wait "$sleep_pid"; }
key() { t send-keys -t shot "$@"; pause 1; }

echo "screenshots.sh: $bin --demo, ${columns}x${rows}; capturing in ${settle}s"
pause "$settle"
capture main
key '?'
capture help
key Escape
key Enter
capture detail
key Escape
key G          # the last row: with the default order (worst first) a healthy node
key d
capture drain-dialog
key n
key Escape     # whatever the dialog was (a refusal takes Esc too)
key g
key q
for _ in $(seq 50); do alive || break; sleep 0.1; done
if alive; then
  echo "screenshots.sh: thrifttop did not quit on q" >&2
  exit 1
fi
status=$(t display-message -p -t shot '#{pane_dead_status}')
[ "$status" = 0 ] || { echo "screenshots.sh: thrifttop exited with status $status" >&2; exit 1; }

python3 scripts/ansi-to-png.py "$work/main.ansi" docs/screenshot.png --columns "$columns" --rows "$rows" --font-size "$font_size"
echo "docs/screenshot.png"
