#!/bin/sh
# End to end on Fashion-MNIST sneaker vs ankle boot: train the default
# model with convolve-cli, evaluate the saved checkpoint on the test split,
# and check that the reopened checkpoint predicts exactly what the model
# predicted in memory right after training.
#
# Needs Debian's dataset-fashion-mnist (/usr/share/datasets/fashion-mnist);
# skips (exit 77) without it.  Environment: CNV_CLI is the convolve-cli
# binary; CNV_FASHION_MNIST_FOLDERS the converter built from
# tests/fashion-mnist-folders.c (tests/meson.build sets both; without it,
# the converter is looked for in CNV_BUILD_ROOT/tests).  Nothing outside
# the clone is needed.
#
# The measured metrics and the time of every step are printed on stdout,
# so that they appear in meson's test log (meson-logs/testlog.txt, or
# `meson test -v e2e-fashion-mnist`).

set -eu

DATA_DIR=${FASHION_MNIST_DIR:-/usr/share/datasets/fashion-mnist}
MIN_ACCURACY=0.96

fail () {
  echo "e2e-fashion-mnist: $*" >&2
  exit 1
}

if [ ! -d "$DATA_DIR" ]; then
  echo "e2e-fashion-mnist: $DATA_DIR is missing (apt install dataset-fashion-mnist); skipping"
  exit 77
fi

: "${CNV_CLI:?CNV_CLI must name the convolve-cli binary}"

# The in-tree converter, tests/fashion-mnist-folders.c, built by meson.
FOLDERS=${CNV_FASHION_MNIST_FOLDERS:-${CNV_BUILD_ROOT:+$CNV_BUILD_ROOT/tests/fashion-mnist-folders}}
[ -n "$FOLDERS" ] \
  || fail "set CNV_FASHION_MNIST_FOLDERS (or CNV_BUILD_ROOT) to find the converter; meson test sets it"
[ -x "$FOLDERS" ] \
  || fail "$FOLDERS is not an executable (ninja -C BUILDDIR tests/fashion-mnist-folders)"

# make_folders SPLIT OUTDIR: sneaker and ankle-boot class folders.
make_folders () {
  "$FOLDERS" "$DATA_DIR" "$1" "$2"
}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/cnv-e2e-XXXXXX")
trap 'rm -rf "$WORK"' EXIT INT TERM

# File descriptor 3 is the test's stdout, also while a step's own stdout
# is redirected to a file.
exec 3>&1

now () {
  date +%s.%N
}

# step NAME COMMAND…: runs the command, prints how long it took on the
# test's stdout and keeps it for the summary.
step () {
  name=$1
  shift
  start=$(now)
  "$@"
  end=$(now)
  awk -v n="$name" -v s="$start" -v e="$end" \
    'BEGIN { printf "e2e-fashion-mnist: %-28s %7.1f s\n", n, e - s }' \
    | tee -a "$WORK/timings.txt" >&3
}

step "write train folders" make_folders train "$WORK/train"
step "write test folders" make_folders test "$WORK/test"

n_train=$(find "$WORK/train" -name '*.png' | wc -l)
n_test=$(find "$WORK/test" -name '*.png' | wc -l)
echo "e2e-fashion-mnist: $n_train training images, $n_test test images"
[ "$n_train" -eq 12000 ] || fail "expected 12000 training images, got $n_train"
[ "$n_test" -eq 2000 ] || fail "expected 2000 test images, got $n_test"

step "train 3 epochs" \
  "$CNV_CLI" train --data "$WORK/train" --output "$WORK/model.convolve" \
    --epochs 3 --optimizer adam --learning-rate 0.001 --batch-size 64 \
    --val-split 0 --seed 1 --threads 2 \
    --report-predictions "$WORK/in-memory.csv"

step "evaluate test split" \
  "$CNV_CLI" evaluate "$WORK/model.convolve" "$WORK/test" \
    > "$WORK/evaluate.txt"
cat "$WORK/evaluate.txt"

accuracy=$(awk '$1 == "accuracy" { print $2 }' "$WORK/evaluate.txt")
[ -n "$accuracy" ] || fail "evaluate printed no accuracy line"
awk -v a="$accuracy" -v m="$MIN_ACCURACY" 'BEGIN { exit !(a >= m) }' \
  || fail "test accuracy $accuracy is below $MIN_ACCURACY"
echo "e2e-fashion-mnist: test accuracy $accuracy (at least $MIN_ACCURACY)"

# metric NAME: that line's value in evaluate's text output.
metric () {
  awk -v k="$1" '$1 == k { print $2 }' "$WORK/evaluate.txt"
}

step "evaluate --json" \
  "$CNV_CLI" evaluate --json "$WORK/model.convolve" "$WORK/test" \
    > "$WORK/evaluate.json"
grep -q '"accuracy"' "$WORK/evaluate.json" \
  || fail "evaluate --json has no accuracy"

# The saved checkpoint, opened again, must give every training image the
# probability the model gave it in memory before saving, to all six
# decimals.  Predict on one class folder twice, in two processes, with the
# thread count of training (OpenBLAS may round differently with another).
step "predict sneaker (1st open)" \
  "$CNV_CLI" predict --csv --threads 2 "$WORK/model.convolve" \
    "$WORK/train/sneaker" > "$WORK/predict-1.csv"
step "predict sneaker (2nd open)" \
  "$CNV_CLI" predict --csv --threads 2 "$WORK/model.convolve" \
    "$WORK/train/sneaker" > "$WORK/predict-2.csv"

cmp -s "$WORK/predict-1.csv" "$WORK/predict-2.csv" \
  || fail "two predict runs on the same checkpoint differ"

n_predicted=$(($(wc -l < "$WORK/predict-1.csv") - 1))
[ "$n_predicted" -eq 6000 ] || fail "predicted $n_predicted sneakers, not 6000"

grep '/sneaker/' "$WORK/in-memory.csv" | sort > "$WORK/expected.csv"
tail -n +2 "$WORK/predict-1.csv" | sort > "$WORK/actual.csv"
if ! cmp -s "$WORK/expected.csv" "$WORK/actual.csv"; then
  diff "$WORK/expected.csv" "$WORK/actual.csv" | head -n 10 >&2
  fail "the reopened checkpoint predicts differently from the trained model"
fi
echo "e2e-fashion-mnist: $n_predicted reopened predictions equal the in-memory ones"

step "inspect" "$CNV_CLI" inspect "$WORK/model.convolve" > "$WORK/inspect.txt"
grep -q 'Trainable params: 53,729' "$WORK/inspect.txt" \
  || fail "inspect does not show the 53,729 parameters of the default model"

# The summary, on stdout for the test log.
echo
echo "e2e-fashion-mnist: results on the test split ($n_test images)"
for name in accuracy precision recall f1 auc loss; do
  printf 'e2e-fashion-mnist:   %-10s %s\n' "$name" "$(metric "$name")"
done
echo "e2e-fashion-mnist: time of each step"
sed 's/^e2e-fashion-mnist: /e2e-fashion-mnist:   /' "$WORK/timings.txt"
