#!/bin/sh
# test-po.sh — every translation is complete: the messages of today's
# sources (extracted again here, as `ninja convolve-pot` would) are all
# translated in each language of po/LINGUAS, none fuzzy, and each
# catalogue compiles with msgfmt's format checks.  German and French
# must be among the languages.
#
# Usage: test-po.sh SOURCE_ROOT
set -u

top=${1:?usage: test-po.sh SOURCE_ROOT}
cd "$top" || exit 1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for tool in xgettext msgmerge msgfmt; do
  command -v "$tool" >/dev/null || {
    echo "not ok: $tool is missing (Debian package gettext)"; exit 1; }
done

# The keywords and flags of meson's "glib" preset.
xgettext --from-code=UTF-8 --add-comments --package-name=convolve \
  --files-from=po/POTFILES.in --directory=. --output="$tmp/convolve.pot" \
  --keyword=_ --keyword=N_ --keyword=C_:1c,2 --keyword=NC_:1c,2 \
  --keyword=g_dcgettext:2 --keyword=g_dngettext:2,3 \
  --keyword=g_dpgettext2:2c,3 \
  --flag=N_:1:pass-c-format --flag=C_:2:pass-c-format \
  --flag=NC_:2:pass-c-format --flag=g_dngettext:2:pass-c-format \
  --flag=g_strdup_printf:1:c-format --flag=g_string_printf:2:c-format \
  --flag=g_string_append_printf:2:c-format --flag=g_error_new:3:c-format \
  --flag=g_set_error:4:c-format --flag=g_markup_printf_escaped:1:c-format \
  --flag=g_log:3:c-format --flag=g_print:1:c-format \
  --flag=g_printerr:1:c-format --flag=g_printf:1:c-format \
  --flag=g_fprintf:2:c-format --flag=g_sprintf:2:c-format \
  --flag=g_snprintf:3:c-format 2>"$tmp/xgettext.log" || {
    cat "$tmp/xgettext.log"; echo "not ok: xgettext failed"; exit 1; }

total=$(grep -c '^msgid ' "$tmp/convolve.pot")
total=$((total - 1))   # the header
languages=$(grep -v '^#' po/LINGUAS | tr -s ' \n' ' ')
status=0

for required in de fr; do
  case " $languages " in
    *" $required "*) ;;
    *) echo "not ok: $required is not in po/LINGUAS"; status=1 ;;
  esac
done

for lang in $languages; do
  po="po/$lang.po"
  if [ ! -f "$po" ]; then
    echo "not ok: $po is listed in po/LINGUAS but missing"
    status=1
    continue
  fi

  if ! msgfmt --check --output-file=/dev/null "$po" 2>"$tmp/check.log"; then
    cat "$tmp/check.log"
    echo "not ok: $po does not compile with format checks"
    status=1
    continue
  fi

  # Against today's messages: new ones come in untranslated, changed
  # ones fuzzy.
  msgmerge --quiet --no-fuzzy-matching --output-file="$tmp/$lang.po" \
    "$po" "$tmp/convolve.pot"
  stats=$(LC_ALL=C msgfmt --statistics --output-file=/dev/null "$tmp/$lang.po" 2>&1)
  case "$stats" in
    *fuzzy*|*untranslated*)
      echo "not ok: $po: $stats (of $total messages)"
      LC_ALL=C msgattrib --untranslated --no-obsolete "$tmp/$lang.po" \
        | grep '^msgid ' | head -n 20 | sed 's/^/  untranslated: /'
      LC_ALL=C msgattrib --only-fuzzy --no-obsolete "$tmp/$lang.po" \
        | grep '^msgid ' | head -n 20 | sed 's/^/  fuzzy: /'
      status=1 ;;
    *)
      echo "ok: $po: $stats (of $total messages)" ;;
  esac
done

exit $status
